using System.Globalization;
using System.Text.Json;
using Xunit.Abstractions;
using static Colony.IntegrationTests.FileSystem.Fs;

namespace Colony.IntegrationTests.FileSystem;

/// <summary>
/// `colony fs` end to end against real node processes: the commands' printed output, not only their exit codes.
/// </summary>
public class FsCliTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Du_setrep_trash_recursive_rm_replication_cap_default_block_size_and_fsck_under_replication()
    {
        using var nodeEnv = NodeEnvironment.FastRepair();
        await using var cluster = new LocalCluster(3);
        using var logs = cluster.DumpLogsOnFailure(output, tailLines: 60);
        ulong leader = await cluster.WaitForLeaderAsync();
        using var fs = cluster.FileSystem();
        await WaitForDataNodesAsync(fs, 3);
        var env = new Dictionary<string, string> { ["COLONY_SECRET_FILE"] = cluster.SecretFile };
        string[] target = ["--cluster", cluster.HttpAddresses];
        string local = Path.Combine(Path.GetTempPath(), $"colony-fscli-{Guid.NewGuid():N}");
        byte[] big = RandomBytes((Block * 5) / 2, 91);
        byte[] small = RandomBytes(100_000, 92);
        await File.WriteAllBytesAsync(local + ".big", big);
        await File.WriteAllBytesAsync(local + ".small", small);

        async Task<(int Code, string Text)> Run(params string[] args)
        {
            var (code, text) = await ColonyCli.RunAsync(env, [.. args, .. target]);
            output.WriteLine($"$ colony {string.Join(' ', args)} → {code}\n{text}");
            return (code, text);
        }

        async Task<string> Ok(params string[] args)
        {
            var (code, text) = await Run(args);
            Assert.True(code == 0, $"colony {string.Join(' ', args)} exited {code}: {text}");
            return text;
        }

        static string N(long n) => n.ToString(CultureInfo.InvariantCulture);

        try
        {
            await Ok("fs", "mkdir", "-p", "/cli/dir/sub");
            await Ok("fs", "put", local + ".big", "/cli/dir/a.bin", "--block-size", "1M");
            await Ok("fs", "put", local + ".small", "/cli/dir/sub/b.bin", "--block-size", "1M");

            // du: bytes, the space the replicas take, files, directories (the path itself counted).
            long bytes = big.Length + small.Length;
            Assert.Contains($"{N(bytes)} {N(bytes * 3)} 2 files 2 directories /cli/dir", await Ok("fs", "du", "/cli/dir"), StringComparison.Ordinal);

            // setrep: stat shows it, and du's space follows.
            await Ok("fs", "setrep", "2", "/cli/dir/a.bin");
            Assert.Contains("Replication: 2", await Ok("fs", "stat", "/cli/dir/a.bin"), StringComparison.Ordinal);
            Assert.Contains($"{N(bytes)} {N((big.Length * 2L) + (small.Length * 3L))} 2 files", await Ok("fs", "du", "/cli/dir"), StringComparison.Ordinal);

            // rm moves a file into the trash, where ls finds it.
            string moved = await Ok("fs", "rm", "/cli/dir/a.bin");
            var trashLine = moved.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("Moved to trash: ", StringComparison.Ordinal));
            string trashed = trashLine["Moved to trash: ".Length..];
            Assert.StartsWith("/.Trash/", trashed, StringComparison.Ordinal);
            Assert.EndsWith("/cli/dir/a.bin", trashed, StringComparison.Ordinal);
            string trashListing = await Ok("fs", "ls", trashed[..trashed.LastIndexOf('/')]);
            Assert.Contains(trashed, trashListing, StringComparison.Ordinal);
            Assert.Contains(N(big.Length), trashListing, StringComparison.Ordinal);
            Assert.Null(await fs.StatAsync("/cli/dir/a.bin"));

            // A directory with something in it goes only with -r.
            var (refused, why) = await Run("fs", "rm", "/cli/dir");
            Assert.NotEqual(0, refused);
            Assert.Contains("/cli/dir is a non-empty directory", why, StringComparison.Ordinal);
            Assert.NotNull(await fs.StatAsync("/cli/dir/sub/b.bin"));
            await Ok("fs", "rm", "-r", "/cli/dir");
            var (gone, goneText) = await Run("fs", "stat", "/cli/dir");
            Assert.NotEqual(0, gone);
            Assert.Contains("no such file", goneText, StringComparison.Ordinal);

            // Five replicas asked of three data nodes: capped, with a warning; no --block-size: 64 MiB blocks.
            string wide = await Ok("fs", "put", local + ".small", "/cli/wide.bin", "--replication", "5");
            Assert.Contains("warning: /cli/wide.bin has replication 3, not 5", wide, StringComparison.Ordinal);
            using (var stat = JsonDocument.Parse(await Ok("fs", "stat", "/cli/wide.bin", "--json")))
            {
                Assert.Equal(64L * 1024 * 1024, stat.RootElement.GetProperty("blockSize").GetInt64());
                Assert.Equal(3, stat.RootElement.GetProperty("replication").GetInt32());
            }
            await WaitHealthyAsync(fs, "the wide file's replicas to be reported");

            // fsck --locations lists healthy blocks too, each with the data nodes holding it.
            var healthy = (await Ok("fs", "fsck", "/cli", "--locations")).Split('\n').Single(l => l.StartsWith("/cli/wide.bin: block ", StringComparison.Ordinal));
            Assert.Contains("HEALTHY: 3 of 3 live replicas on ", healthy, StringComparison.Ordinal);
            Assert.Equal(3, healthy[(healthy.IndexOf(" on ", StringComparison.Ordinal) + 4)..].Split(", ").Distinct().Count());
            Assert.DoesNotContain("/cli/wide.bin", await Ok("fs", "fsck", "/cli"), StringComparison.Ordinal); // without it, problems only

            // Every node holds the wide file's one block: with one dead, nowhere is left to copy it to.
            cluster.Kill(cluster.Ids.First(id => id != leader));
            await LocalCluster.WaitForAsync(async () => await TryFsckAsync(fs, "/cli"), r => r.LiveDataNodes == 2 && r.UnderReplicated == 1,
                Patience, "the dead node's replica to stop counting");
            string fsck = await Ok("fs", "fsck", "/cli");
            Assert.Contains("/cli/wide.bin: block ", fsck, StringComparison.Ordinal);
            Assert.Contains("UNDER-REPLICATED: 2 of 3 live replicas", fsck, StringComparison.Ordinal);
            Assert.Contains("Under-replicated blocks: 1", fsck, StringComparison.Ordinal);
            Assert.Contains("Missing blocks: 0", fsck, StringComparison.Ordinal);
            Assert.Contains("The filesystem under path '/cli' is UNDER-REPLICATED", fsck, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(local + ".big");
            File.Delete(local + ".small");
        }
        logs.Pass();
    }

    [Fact]
    public async Task Fsck_from_a_leader_still_collecting_block_reports_says_so_instead_of_calling_blocks_missing()
    {
        // A grace far longer than the test: the leader never settles while it runs.
        using var nodeEnv = NodeEnvironment.FastRepair(("FileSystem:ReportGraceMs", "600000"));
        await using var cluster = new LocalCluster(3);
        using var logs = cluster.DumpLogsOnFailure(output, tailLines: 60);
        await cluster.WaitForLeaderAsync();
        using var fs = cluster.FileSystem();
        // The data node list comes from heartbeats, not fsck: it fills while the leader waits out its grace.
        await LocalCluster.WaitForAsync(async () => await TryDataNodesAsync(fs), nodes => nodes.Count(n => n.State == "alive") == 3, Patience, "3 live data nodes");
        await WriteAsync(fs, "/grace/f", RandomBytes(1000, 93), Small());

        var refused = await Assert.ThrowsAsync<Colony.Client.FileSystem.FsException>(() => fs.FsckAsync("/"));
        Assert.Equal((503, "NotSettled"), (refused.StatusCode, refused.Error));
        var env = new Dictionary<string, string> { ["COLONY_SECRET_FILE"] = cluster.SecretFile };
        var (code, text) = await ColonyCli.RunAsync(env, ["fs", "fsck", "/", "--cluster", cluster.HttpAddresses]);
        output.WriteLine(text);
        Assert.NotEqual(0, code);
        Assert.Contains("still collecting the data nodes' block reports", text, StringComparison.Ordinal);
        Assert.DoesNotContain("CORRUPT", text, StringComparison.Ordinal);
        logs.Pass();
    }
}
