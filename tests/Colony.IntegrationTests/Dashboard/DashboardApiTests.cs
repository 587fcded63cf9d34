using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Colony.Client;
using Colony.Client.Jobs;
using Colony.Coordination;
using Colony.IntegrationTests.FileSystem;
using Json.Schema;
using Xunit.Abstractions;

namespace Colony.IntegrationTests.Dashboard;

/// <summary>The dashboard's JSON API and /metrics on a real 3-node cluster.</summary>
public sealed partial class DashboardApiTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public void The_checked_in_schemas_are_the_ones_the_api_types_produce()
    {
        bool update = Environment.GetEnvironmentVariable("COLONY_UPDATE_SCHEMAS") == "1";
        foreach (var (name, type, _) in ApiSchemas.All)
        {
            string generated = ApiSchemas.Generate(type);
            string file = ApiSchemas.FileOf(name);
            if (update)
            {
                File.WriteAllText(file, generated);
            }
            Assert.True(File.Exists(file), $"{file} is missing: run the tests once with COLONY_UPDATE_SCHEMAS=1");
            Assert.Equal(generated, File.ReadAllText(file));
        }
    }

    [Fact]
    public async Task Every_api_answer_matches_its_schema_on_every_node()
    {
        await using var cluster = new LocalCluster(3);
        using var logs = cluster.DumpLogsOnFailure(output);
        await cluster.WaitForLeaderAsync();
        // Every node must have heard from every other before the overview can list them all as healthy.
        await LocalCluster.WaitForAsync(
            async () => (string?)await cluster.Http.GetStringAsync($"{cluster.HttpAddress(1)}/api/cluster"),
            json => JsonNode.Parse(json)!["nodes"]!.AsArray().Count(n => (string?)n!["health"] == "healthy") == 3,
            Patience, "three healthy nodes on the overview");
        // A file, so the storage answers carry blocks; then every node must see the leader's block health.
        using (var fs = cluster.FileSystem())
        {
            await Fs.WaitForDataNodesAsync(fs, 3);
            await Fs.WriteAsync(fs, "/schema/file", "ants carry the colony\n"u8.ToArray(), Fs.Small());
        }
        // And a finished job, for the job API's answers.
        using var jobs = new JobClient([.. cluster.Ids.Select(id => new Uri(cluster.HttpAddress(id)))], cluster.Secret);
        string job = await jobs.SubmitAsync(Compute.ComputeCluster.WordCount("/schema/file", "/schema/out"));
        Assert.Equal(JobStates.Succeeded, (await jobs.WaitAsync(job)).Job.State);
        foreach (ulong id in cluster.Ids)
        {
            await LocalCluster.WaitForAsync(
                async () => await TryGetAsync(cluster, $"{cluster.HttpAddress(id)}/api/storage/health"),
                json => JsonNode.Parse(json)!["fsck"] is { } fsck && (string?)fsck["status"] == "HEALTHY" && (int)fsck["healthy"]! >= 2, // the input and the job's output
                Patience, $"the block health on node {id}");
        }

        var schemas = ApiSchemas.All.ToDictionary(s => s.Name, s => JsonSchema.FromFile(ApiSchemas.FileOf(s.Name)));
        foreach (ulong id in cluster.Ids)
        {
            foreach (var (name, _, path) in ApiSchemas.All)
            {
                string json = await cluster.Http.GetStringAsync(cluster.HttpAddress(id) + path.Replace("{job}", job, StringComparison.Ordinal));
                var schema = schemas[name];
                var result = schema.Evaluate(JsonDocument.Parse(json).RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
                Assert.True(result.IsValid, $"{path} on node {id} does not match docs/api/{name}.schema.json:\n{Errors(result)}\n{json}");
            }
        }

        // ZooKeeper's AdminServer commands, as monitoring tools read them.
        var monitor = JsonNode.Parse(await cluster.Http.GetStringAsync($"{cluster.HttpAddress(1)}/commands/monitor"))!;
        Assert.Equal("monitor", (string?)monitor["command"]);
        Assert.True((long)monitor["znode_count"]! >= 4);
        Assert.Contains((string?)monitor["server_state"], (string[])["leader", "follower"]);
        Assert.False((bool)JsonNode.Parse(await cluster.Http.GetStringAsync($"{cluster.HttpAddress(1)}/commands/is_read_only"))!["read_only"]!);
        var unknown = JsonNode.Parse(await cluster.Http.GetStringAsync($"{cluster.HttpAddress(1)}/commands/no_such_command"))!;
        Assert.Equal("Unknown command: no_such_command", (string?)unknown["error"]);
        logs.Pass();
    }

    [Fact]
    public async Task A_dead_data_node_leaves_its_blocks_under_replicated_on_the_storage_page_and_overview()
    {
        using var settings = NodeEnvironment.FastRepair();
        await using var cluster = new LocalCluster(3);
        using var logs = cluster.DumpLogsOnFailure(output);
        ulong leader = await cluster.WaitForLeaderAsync();
        ulong victim = cluster.Ids.First(id => id != leader);
        ulong viewer = cluster.Ids.First(id => id != leader && id != victim);
        using (var fs = cluster.FileSystem())
        {
            await Fs.WaitForDataNodesAsync(fs, 3);
            await Fs.WriteAsync(fs, "/health/a", Fs.RandomBytes(1000, seed: 2), Fs.Small(replication: 3));
            await Fs.WaitHealthyAsync(fs, "the new file fully replicated");
        }
        // The overview's block column: each node holds the file's one block.
        await LocalCluster.WaitForAsync(
            async () => await TryGetAsync(cluster, $"{cluster.HttpAddress(viewer)}/api/cluster"),
            json => JsonNode.Parse(json)!["nodes"]!.AsArray().All(n => (int?)n!["blocks"] == 1),
            Patience, "one block on every node in the overview");

        cluster.Kill(victim);
        // No fourth node to copy to: the block stays under-replicated, and a follower shows it from the leader's map.
        var storage = await LocalCluster.WaitForAsync(
            async () => await TryGetAsync(cluster, $"{cluster.HttpAddress(viewer)}/api/storage?path=%2F"),
            json => (int?)JsonNode.Parse(json)!["health"]?["fsck"]?["underReplicated"] == 1,
            Patience, "the block under-replicated on the storage api");
        var health = JsonNode.Parse(storage)!["health"]!;
        var problem = health["fsck"]!["problems"]!.AsArray().Single()!;
        Assert.Equal(("/health/a", "under-replicated", 3, 2), ((string?)problem["path"], (string?)problem["health"], (int)problem["expected"]!, problem["live"]!.AsArray().Count));
        Assert.DoesNotContain(cluster.DataAddress(victim), problem["live"]!.AsArray().Select(n => (string?)n));
        Assert.Equal("dead", (string?)health["dataNodes"]!.AsArray().Single(n => (ulong)n!["id"]! == victim)!["state"]);

        // The overview reads the health its monitor fetched last, up to a second ago.
        string overview = await LocalCluster.WaitForAsync(
            async () => await TryGetAsync(cluster, $"{cluster.HttpAddress(viewer)}/api/cluster"),
            json => JsonNode.Parse(json)!["alerts"]!.AsArray().Any(a => (string?)a!["kind"] == "blocks-under-replicated"),
            Patience, "the under-replicated alert on the overview");
        var alert = JsonNode.Parse(overview)!["alerts"]!.AsArray().Single(a => (string?)a!["kind"] == "blocks-under-replicated")!;
        Assert.Equal("warning", (string?)alert["severity"]);
        string page = await cluster.Http.GetStringAsync($"{cluster.HttpAddress(viewer)}/storage");
        Assert.Contains("id=\"problem-blocks\"", page, StringComparison.Ordinal);
        Assert.Contains("<span data-blocks=\"under-replicated\"><span class=\"badge warning\">1</span>", page, StringComparison.Ordinal);
        logs.Pass();
    }

    [Fact]
    public async Task The_overview_and_api_never_show_the_cluster_secret()
    {
        await using var cluster = new LocalCluster(3);
        using var logs = cluster.DumpLogsOnFailure(output);
        await cluster.WaitForLeaderAsync();
        string secret = Convert.ToBase64String(cluster.Secret);
        foreach (string path in (string[])["/node", "/api/node", "/", "/api/cluster", "/coordination"])
        {
            string body = await cluster.Http.GetStringAsync(cluster.HttpAddress(1) + path);
            Assert.DoesNotContain(secret, body, StringComparison.Ordinal);
        }
        logs.Pass();
    }

    [Fact]
    public async Task Metrics_parse_as_prometheus_text_and_cover_raft_coordination_storage_and_compute()
    {
        await using var cluster = new LocalCluster(3);
        using var logs = cluster.DumpLogsOnFailure(output);
        ulong leader = await cluster.WaitForLeaderAsync();
        await cluster.WaitUntilZooKeeperServesAsync(leader);
        // ZooKeeper requests on the leader, so the per-opcode series exist there.
        await using (var client = await ZooKeeperClient.ConnectAsync(cluster.ZooKeeperAddress(leader)))
        {
            await client.CreateAsync("/metrics", null, Acl.OpenUnsafe);
            await client.GetDataAsync("/metrics");
        }
        // A file written to three replicas and read back: bytes through the data nodes' transfer servers.
        var data = Fs.RandomBytes(300_000, seed: 3);
        using (var fs = cluster.FileSystem())
        {
            await Fs.WaitForDataNodesAsync(fs, 3);
            await Fs.WriteAsync(fs, "/metrics/file", data, Fs.Small(replication: 3));
            Assert.Equal(data, await Fs.ReadAllAsync(fs, "/metrics/file"));
            await Fs.WaitHealthyAsync(fs, "the file fully replicated");
        }

        // The leader reports its block map's figures once every data node has had time to report (a few seconds in).
        string text = await LocalCluster.WaitForAsync(
            async () => await TryGetAsync(cluster, $"{cluster.HttpAddress(leader)}/metrics"),
            t => t.Contains("\ncolony_fs_replication_queue{", StringComparison.Ordinal), Patience, "the leader's block map figures");
        var samples = PrometheusText.Parse(text);
        Assert.Equal(1, samples.Single(s => s.Name == "colony_raft_is_leader").Value);
        Assert.True(samples.Single(s => s.Name == "colony_raft_term").Value >= 1);
        Assert.True(samples.Single(s => s.Name == "colony_raft_commit_index").Value >= 1);
        Assert.True(samples.Single(s => s.Name == "colony_raft_fsync_duration_seconds_count").Value >= 1);
        Assert.Contains(samples, s => s.Name == "colony_raft_fsync_duration_seconds_bucket" && s.Labels.Contains("le=\"+Inf\"", StringComparison.Ordinal));
        Assert.Equal(2, samples.Count(s => s.Name == "colony_raft_follower_lag"));
        Assert.Contains(samples, s => s.Name == "colony_zookeeper_requests_total" && s.Labels.Contains("opcode=\"Create\"", StringComparison.Ordinal) && s.Value >= 1);
        Assert.Contains(samples, s => s.Name == "colony_zookeeper_request_duration_seconds_count" && s.Labels.Contains("opcode=\"GetData\"", StringComparison.Ordinal) && s.Value >= 1);
        // The leader's block map: nothing waits for a replica, nothing is lost or corrupt.
        Assert.Equal(0, samples.Single(s => s.Name == "colony_fs_replication_queue").Value);
        Assert.Equal(0, samples.Single(s => s.Name == "colony_fs_missing_blocks").Value);
        Assert.Equal(0, samples.Single(s => s.Name == "colony_fs_corrupt_replicas").Value);

        double written = 0;
        double read = 0;
        foreach (ulong id in cluster.Ids)
        {
            var node = PrometheusText.Parse(await cluster.Http.GetStringAsync($"{cluster.HttpAddress(id)}/metrics"));
            Assert.Equal(1, node.Single(s => s.Name == "colony_fs_blocks").Value);
            Assert.True(node.Single(s => s.Name == "colony_fs_disk_free_bytes").Value > 0);
            Assert.True(node.Single(s => s.Name == "colony_fs_disk_used_bytes").Value > 0);
            // Every node holds a replica: each stored at least the whole file.
            double stored = node.Single(s => s.Name == "colony_fs_bytes_written_total").Value;
            Assert.True(stored >= data.Length, $"node {id} stored {stored} bytes of a {data.Length}-byte file");
            written += stored;
            read += node.Single(s => s.Name == "colony_fs_bytes_read_total").Value;
            Assert.Equal(id == leader ? 1 : 0, node.Count(s => s.Name == "colony_fs_replication_queue"));
        }
        Assert.True(written >= 3.0 * data.Length);
        Assert.True(read >= data.Length, $"the transfer servers sent {read} bytes for a read of {data.Length}");
        logs.Pass();
    }

    private static async Task<string?> TryGetAsync(LocalCluster cluster, string url)
    {
        using var response = await cluster.Http.GetAsync(url);
        return response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync() : null;
    }

    private static string Errors(EvaluationResults result)
    {
        var text = new StringBuilder();
        foreach (var detail in (result.Details ?? []).Where(d => d.Errors is { Count: > 0 }))
        {
            foreach (var (keyword, message) in detail.Errors!)
            {
                text.Append(detail.InstanceLocation).Append(' ').Append(keyword).Append(": ").Append(message).Append('\n');
            }
        }
        return text.ToString();
    }
}

/// <summary>A strict reader of the Prometheus text exposition format (version 0.0.4): it throws on any line it does not understand.</summary>
internal static partial class PrometheusText
{
    public sealed record Sample(string Name, string Labels, double Value);

    public static IReadOnlyList<Sample> Parse(string text)
    {
        var samples = new List<Sample>();
        var types = new Dictionary<string, string>();
        foreach (string line in text.Split('\n'))
        {
            if (line.Length == 0)
            {
                continue;
            }
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                Assert.True(parts.Length == 4 && parts[3] is "counter" or "gauge" or "histogram" or "summary" or "untyped", $"bad TYPE line: {line}");
                Assert.True(types.TryAdd(parts[2], parts[3]), $"metric {parts[2]} typed twice");
                continue;
            }
            if (line.StartsWith('#'))
            {
                Assert.Matches(CommentLine(), line);
                continue;
            }
            var match = SampleLine().Match(line);
            Assert.True(match.Success, $"not a Prometheus sample line: {line}");
            string value = match.Groups["value"].Value;
            double parsed = value switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                _ => double.Parse(value, System.Globalization.CultureInfo.InvariantCulture),
            };
            samples.Add(new Sample(match.Groups["name"].Value, match.Groups["labels"].Value, parsed));
        }
        Assert.NotEmpty(samples);
        return samples;
    }

    [GeneratedRegex("^# (HELP|UNIT|EOF)( .*)?$")]
    private static partial Regex CommentLine();

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*)\})? (?<value>[-+]?([0-9.eE+-]+|Inf|NaN))( -?[0-9]+)?$""")]
    private static partial Regex SampleLine();
}
