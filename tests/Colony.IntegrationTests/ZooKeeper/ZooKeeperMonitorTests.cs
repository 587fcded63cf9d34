using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Colony.Coordination;

namespace Colony.IntegrationTests.ZooKeeper;

/// <summary>
/// mntr's ensemble lines, which monitoring built for ZooKeeper reads (a leader's synced followers, each server's
/// peer state, its file descriptors), on a real 3-node cluster.
/// </summary>
[Collection(ZooKeeperClusterCollection.Name)]
public sealed class ZooKeeperMonitorTests(ZooKeeperClusterFixture fixture)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Mntr_reports_the_ensemble_as_a_ZooKeeper_leader_and_its_followers_do()
    {
        var cluster = fixture.Cluster;
        ulong leader = await cluster.WaitForLeaderAsync();
        string leading = await LocalCluster.WaitForAsync(() => cluster.FourLetterWordAsync(leader, "mntr"),
            m => Value(m, "zk_synced_followers") == "2", Bound, "the leader to count two synced followers");

        Assert.Equal("leading - broadcast", Value(leading, "zk_peer_state"));
        Assert.Equal("2", Value(leading, "zk_learners"));
        Assert.Equal("0", Value(leading, "zk_synced_observers"));
        Assert.Equal("0", Value(leading, "zk_pending_syncs"));
        Assert.Equal("3", Value(leading, "zk_quorum_size"));
        Assert.True(long.Parse(Value(leading, "zk_leader_uptime")!, System.Globalization.CultureInfo.InvariantCulture) >= 0);
        Assert.True(long.Parse(Value(leading, "zk_uptime")!, System.Globalization.CultureInfo.InvariantCulture) >= long.Parse(Value(leading, "zk_leader_uptime")!, System.Globalization.CultureInfo.InvariantCulture));
        long open = long.Parse(Value(leading, "zk_open_file_descriptor_count")!, System.Globalization.CultureInfo.InvariantCulture);
        long limit = long.Parse(Value(leading, "zk_max_file_descriptor_count")!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(open, 3, limit);

        foreach (ulong follower in cluster.Ids.Where(id => id != leader))
        {
            string following = await cluster.FourLetterWordAsync(follower, "mntr") ?? "";
            Assert.Equal("following - broadcast", Value(following, "zk_peer_state"));
            Assert.Equal("3", Value(following, "zk_quorum_size"));
            Assert.Null(Value(following, "zk_synced_followers")); // a leader's line only, as in ZooKeeper
        }
    }

    [Fact]
    public async Task Cons_and_stat_list_connections_in_ZooKeepers_shapes_the_asking_one_included()
    {
        string address = fixture.Address(fixture.Cluster.Ids.First());
        using var client = await RawZooKeeperClient.ConnectAsync(address);
        Assert.Equal(ErrorCode.Ok, (await client.GetDataAsync("/")).Error);

        string[] cons = (await RawZooKeeperClient.FourLetterWordAsync(address, "cons")).Split('\n');
        string ours = cons.Single(line => line.Contains($",sid=0x{client.SessionId:x},", StringComparison.Ordinal));
        // The handshake and the read, each a packet received and answered; the read was the last operation.
        Assert.Matches(@"^ /127\.0\.0\.1:\d+\[1\]\(queued=0,recved=2,sent=2,sid=0x[0-9a-f]+,lop=GETD,est=\d{13},to=10000,lcxid=0x1,lzxid=0x[0-9a-f]+,lresp=\d+,llat=\d+,minlat=\d+,avglat=\d+,maxlat=\d+\)$", ours);
        Assert.Contains(cons, line => Regex.IsMatch(line, @"^ /127\.0\.0\.1:\d+\[0\]\(queued=0,recved=1,sent=0\)$")); // the connection asking

        string stat = await RawZooKeeperClient.FourLetterWordAsync(address, "stat");
        Assert.DoesNotContain("sid=", stat, StringComparison.Ordinal); // stat's lines are the brief ones
        Assert.Matches(@"\n /127\.0\.0\.1:\d+\[1\]\(queued=0,recved=2,sent=2\)\n", stat);
        Assert.Matches(@"\nConnections: [2-9]\d*\n", stat); // ours and the one asking, at least

        Assert.Equal("Connection stats reset.\n", await RawZooKeeperClient.FourLetterWordAsync(address, "crst"));
        string reset = (await RawZooKeeperClient.FourLetterWordAsync(address, "cons")).Split('\n')
            .Single(line => line.Contains($",sid=0x{client.SessionId:x},", StringComparison.Ordinal));
        Assert.Contains(",lop=NA,", reset, StringComparison.Ordinal);
        Assert.DoesNotContain("lcxid=", reset, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dump_shows_the_leaders_session_buckets_each_sessions_ephemerals_and_the_connections_by_expiry()
    {
        var cluster = fixture.Cluster;
        ulong leader = await cluster.WaitForLeaderAsync();
        ulong follower = cluster.Ids.First(id => id != leader);
        using var client = await RawZooKeeperClient.ConnectAsync(fixture.Address(follower));
        string path = $"/dump-{Guid.NewGuid():N}";
        Assert.Equal(ErrorCode.Ok, (await client.CreateAsync(path, null, CreateMode.Ephemeral)).Error);
        string sid = $"0x{client.SessionId:x}";
        DateTime asked = DateTime.UtcNow;

        // The follower: each session with its timeout, and its own connections, ours due a session timeout after
        // its last packet (rounded up to the 10-s grid), the one asking (no session) listed with id 0x0.
        string following = await RawZooKeeperClient.FourLetterWordAsync(fixture.Address(follower), "dump");
        Assert.StartsWith("SessionTracker dump:\nGlobal Sessions(", following, StringComparison.Ordinal);
        Assert.Contains($"\n{sid}\t10000ms\n", following, StringComparison.Ordinal);
        Assert.Contains($"ephemeral nodes dump:\nSessions with Ephemerals (", following, StringComparison.Ordinal);
        Assert.Contains($"\n{sid}:\n\t{path}\n", following, StringComparison.Ordinal);
        string connections = following[following.IndexOf("Connections dump:\n", StringComparison.Ordinal)..];
        Assert.Matches(@"^Connections dump:\nConnections Sets \(\d+\)/\([2-9]\d*\):\n", connections);
        Assert.Matches(@"\n\tip: /127\.0\.0\.1:\d+ sessionId: 0x0\n", connections);
        DateTime due = DueOf(connections, $"\tip: /{client.LocalEndPoint} sessionId: {sid}");
        Assert.InRange(due, asked.AddSeconds(-1), asked.AddSeconds(10 + 10 + 1));

        // The leader: its expiry buckets, ours among them, due within a timeout and a bucket of now.
        string leading = await RawZooKeeperClient.FourLetterWordAsync(fixture.Address(leader), "dump");
        Assert.StartsWith("SessionTracker dump:\nSession Sets (", leading, StringComparison.Ordinal);
        Assert.InRange(DueOf(leading, $"\t{sid}"), asked.AddSeconds(-1), asked.AddSeconds(10 + 10 + 1));
        Assert.Contains($"\n{sid}:\n\t{path}\n", leading, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_AdminServers_connections_dump_and_watch_commands_answer_in_ZooKeepers_JSON()
    {
        var cluster = fixture.Cluster;
        ulong leader = await cluster.WaitForLeaderAsync();
        ulong follower = cluster.Ids.First(id => id != leader);
        await using var client = await Colony.Client.ZooKeeperClient.ConnectAsync(fixture.Address(follower));
        string path = $"/admin-{Guid.NewGuid():N}";
        await client.CreateAsync(path, [], Acl.OpenUnsafe, CreateMode.Ephemeral);
        Assert.NotNull(await client.ExistsAsync(path, watcher: _ => { }));
        string sid = client.SessionId.ToString(System.Globalization.CultureInfo.InvariantCulture);

        Task<JsonNode> Command(ulong id, string name) => AdminCommandAsync(cluster, id, name);

        var connections = (await Command(follower, "connections"))["connections"]!.AsArray();
        var ours = connections.Single(c => (long)c!["session_id"]! == client.SessionId)!;
        Assert.Equal("EXIS", (string?)ours["last_operation"]);
        Assert.Equal(10_000, (int)ours["session_timeout"]!);
        Assert.Matches(@"^127\.0\.0\.1:\d+$", (string?)ours["remote_socket_address"]);
        Assert.True((long)ours["packets_received"]! >= 3 && (long)ours["last_cxid"]! >= 2 && (long)ours["established"]! > 1_600_000_000_000);
        Assert.Empty((await AdminCommandAsync(cluster, follower, "cons", "connections"))["secure_connections"]!.AsArray());

        var watches = (await Command(follower, "watches"))["session_id_to_watched_paths"]!;
        Assert.Contains(path, watches[sid]!.AsArray().Select(p => (string?)p));
        var byPath = (await Command(follower, "watches_by_path"))["path_to_session_ids"]!;
        Assert.Contains(client.SessionId, byPath[path]!.AsArray().Select(id => (long)id!));
        var summary = await Command(follower, "watch_summary");
        Assert.True((int)summary["num_connections"]! >= 1 && (int)summary["num_paths"]! >= 1 && (int)summary["num_total_watches"]! >= 1);

        // The ephemerals everywhere; the expiry buckets on the leader only, as on ZooKeeper's learners.
        var followerDump = await Command(follower, "dump");
        Assert.Equal([path], followerDump["session_id_to_ephemeral_paths"]![sid]!.AsArray().Select(p => (string?)p));
        Assert.Empty(followerDump["expiry_time_to_session_ids"]!.AsObject());
        var leaderDump = await Command(leader, "dump");
        Assert.Contains(leaderDump["expiry_time_to_session_ids"]!.AsObject(), bucket =>
            bucket.Value!.AsArray().Any(id => (long)id! == client.SessionId)
            && long.Parse(bucket.Key, System.Globalization.CultureInfo.InvariantCulture) > MonotonicNowMs()); // the node's clock is this machine's

        await Command(follower, "connection_stat_reset");
        var reset = (await Command(follower, "connections"))["connections"]!.AsArray().Single(c => (long)c!["session_id"]! == client.SessionId)!;
        Assert.Equal("NA", (string?)reset["last_operation"]);
    }

    [Fact]
    public async Task The_AdminServers_server_and_ensemble_commands_answer_as_ZooKeepers_leader_and_followers_do()
    {
        var cluster = fixture.Cluster;
        ulong leader = await cluster.WaitForLeaderAsync();
        ulong follower = cluster.Ids.First(id => id != leader);

        // server_stats (srvr): nested as ZooKeeper's; the packets a request brings are counted where it came.
        var before = await AdminCommandAsync(cluster, follower, "srvr", "server_stats");
        long received = (long)before["server_stats"]!["packets_received"]!;
        await using (var client = await Colony.Client.ZooKeeperClient.ConnectAsync(fixture.Address(follower)))
        {
            Assert.NotNull(await client.ExistsAsync("/"));
        }
        var stats = await AdminCommandAsync(cluster, follower, "server_stats");
        var server = stats["server_stats"]!;
        Assert.True((long)server["packets_received"]! >= received + 2, $"{received} then {server["packets_received"]}");
        Assert.Equal("follower", (string?)server["server_state"]);
        Assert.False((bool)stats["read_only"]!);
        Assert.StartsWith("3.8.", (string?)stats["version"], StringComparison.Ordinal);
        Assert.True((long)stats["node_count"]! >= 3 && (long)server["uptime"]! > 0 && (long)server["last_processed_zxid"]! > 0);
        Assert.True((int)stats["client_response"]!["max_buffer_size"]! >= 16); // a reply's header alone is 16 bytes
        Assert.Equal((int)stats["client_response"]!["max_buffer_size"]!, (int)server["client_response_stats"]!["max_buffer_size"]!);
        Assert.Equal(JsonValueKind.Number, server["avg_latency"]!.GetValueKind());
        Assert.Null(stats["proposal_stats"]); // the leader's only
        var leading = await AdminCommandAsync(cluster, leader, "server_stats");
        Assert.Equal("leader", (string?)leading["server_stats"]!["server_state"]);
        Assert.Equal(JsonValueKind.Number, leading["proposal_stats"]!["max_buffer_size"]!.GetValueKind());

        // stats (stat): the same, and each connection's brief counts.
        var stat = await AdminCommandAsync(cluster, follower, "stat", "stats");
        Assert.NotNull(stat["server_stats"]!["packets_sent"]);
        Assert.All(stat["connections"]!.AsArray(), c => Assert.Null(c!["session_id"]));
        Assert.Empty(stat["secure_connections"]!.AsArray());

        foreach (ulong id in cluster.Ids)
        {
            bool isLeader = id == leader;
            var lead = await AdminCommandAsync(cluster, id, "lead", "leader");
            Assert.Equal(isLeader, (bool)lead["is_leader"]!);
            Assert.Equal((long)leader, (long)lead["leader_id"]!);
            Assert.Equal("127.0.0.1", (string?)lead["leader_ip"]);

            var zab = await AdminCommandAsync(cluster, id, "zabstate");
            Assert.Equal((long)id, (long)zab["myid"]!);
            Assert.Equal(isLeader, (bool)zab["is_leader"]!);
            Assert.True((bool)zab["voting"]!);
            Assert.Equal("broadcast", (string?)zab["zabstate"]);
            Assert.Equal(fixture.Address(id), (string?)zab["client_address"]);
            Assert.Matches(@"^127\.0\.0\.1:\d+$", (string?)zab["quorum_address"]!["one"]);
            Assert.Equal(new Uri(cluster.HttpAddress(id)).Port, (int)zab["election_address"]!["all_ports"]![0]!);
            long zxid = Convert.ToInt64(((string)zab["last_zxid"]!)[2..], 16);
            Assert.Equal(zxid >> 32, (long)zab["zab_epoch"]!);
            Assert.Equal(zxid & 0xffffffff, (long)zab["zab_counter"]!);

            var observers = await AdminCommandAsync(cluster, id, "obsr", "observers");
            Assert.Equal(0, (int)observers["synced_observers"]!);
            Assert.Empty(observers["observers"]!.AsArray());
        }

        // voting_view: every voter, its second address the node's HTTP port (Colony's in place of an election port).
        var view = (await AdminCommandAsync(cluster, follower, "voting_view"))["current_config"]!.AsObject();
        Assert.Equal(cluster.Ids.Select(id => id.ToString(System.Globalization.CultureInfo.InvariantCulture)).Order(), view.Select(v => v.Key).Order());
        foreach (ulong id in cluster.Ids)
        {
            var member = view[id.ToString(System.Globalization.CultureInfo.InvariantCulture)]!;
            Assert.Equal("participant", (string?)member["learner_type"]);
            Assert.Equal($"127.0.0.1:{new Uri(cluster.HttpAddress(id)).Port}", (string?)member["election_addresses"]![0]);
            Assert.Matches(@"^127\.0\.0\.1:\d+$", (string?)member["server_addresses"]![0]);
        }

        var snapshot = await AdminCommandAsync(cluster, follower, "lsnp", "last_snapshot");
        Assert.Equal((string?)snapshot["zxid"] == "ffffffffffffffff", (long)snapshot["timestamp"]! == -1);
        var initial = (await AdminCommandAsync(cluster, follower, "icfg", "initial_configuration")).AsObject();
        Assert.True(initial.ContainsKey("initial_configuration") && initial["initial_configuration"] is null);
        var properties = (await AdminCommandAsync(cluster, follower, "sysp", "system_properties")).AsObject();
        Assert.All(properties.Where(p => p.Key is not ("command" or "error")), p => Assert.Equal(JsonValueKind.String, p.Value!.GetValueKind()));
        Assert.False(string.IsNullOrEmpty((string?)properties["runtime.version"]));
        Assert.Empty((await AdminCommandAsync(cluster, leader, "hash"))["digests"]!.AsArray());
        await AdminCommandAsync(cluster, leader, "orst", "observer_connection_stat_reset");

        // As ZooKeeper's: 200, the error in the answer.
        var unknown = JsonNode.Parse(await cluster.Http.GetStringAsync($"{cluster.HttpAddress(follower)}/commands/no_such_command"))!;
        Assert.Equal("no_such_command", (string?)unknown["command"]);
        Assert.Equal("Unknown command: no_such_command", (string?)unknown["error"]);
    }

    /// <summary>An AdminServer command's answer, which names the command by its primary name and carries no error.</summary>
    private static async Task<JsonNode> AdminCommandAsync(LocalCluster cluster, ulong id, string name, string? primary = null)
    {
        var answer = JsonNode.Parse(await cluster.Http.GetStringAsync($"{cluster.HttpAddress(id)}/commands/{name}"))!;
        Assert.Equal(primary ?? name, (string?)answer["command"]);
        Assert.True(answer.AsObject().ContainsKey("error"));
        Assert.Null(answer["error"]);
        return answer;
    }

    private static long MonotonicNowMs() => System.Diagnostics.Stopwatch.GetTimestamp() * 1000 / System.Diagnostics.Stopwatch.Frequency;

    /// <summary>The time of the bucket <paramref name="entry"/> is listed under, read as Java prints a date.</summary>
    private static DateTime DueOf(string dump, string entry)
    {
        string[] lines = dump.Split('\n');
        int at = Array.IndexOf(lines, entry);
        Assert.True(at > 0, $"no line '{entry}' in:\n{dump}");
        string header = lines.Take(at).Last(line => !line.StartsWith('\t'));
        var match = Regex.Match(header, @"^\d+ expire at (\w{3} \w{3} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4}):$");
        Assert.True(match.Success, header);
        return DateTime.ParseExact(match.Groups[1].Value, "ddd MMM dd HH:mm:ss 'UTC' yyyy", System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal);
    }

    [Fact]
    public async Task Conf_and_dirs_name_the_client_port_and_the_log_directory_with_its_size()
    {
        ulong id = fixture.Cluster.Ids.First();
        string address = fixture.Address(id);
        string log = Path.Combine(fixture.Cluster.DataDirectory(id), "raft");
        long bytes = new DirectoryInfo(log).EnumerateFiles("*", SearchOption.AllDirectories).Sum(file => file.Length);
        Assert.True(bytes > 0, $"{log} holds the log");

        string conf = await RawZooKeeperClient.FourLetterWordAsync(address, "conf");
        Assert.StartsWith($"clientPort={System.Net.IPEndPoint.Parse(address).Port}\nsecureClientPort=-1\ndataDir={log}\ndataDirSize=", conf, StringComparison.Ordinal);
        Assert.Matches($@"\ndataLogDir={Regex.Escape(log)}\ndataLogSize=[1-9]\d*\ntickTime=", conf);

        string dirs = await RawZooKeeperClient.FourLetterWordAsync(address, "dirs");
        Assert.Matches(@"^datadir_size: [1-9]\d*\nlogdir_size: [1-9]\d*\n$", dirs);
        var json = System.Text.Json.Nodes.JsonNode.Parse(await fixture.Cluster.Http.GetStringAsync($"{fixture.Cluster.HttpAddress(id)}/commands/dirs"))!;
        Assert.True((long)json["datadir_size"]! > 0);
        Assert.Equal("dirs", (string?)json["command"]);
    }

    private static string? Value(string mntr, string key) =>
        mntr.Split('\n').Select(line => line.Split('\t')).FirstOrDefault(parts => parts.Length == 2 && parts[0] == key)?[1];
}
