using Colony.Client.FileSystem;
using Xunit.Abstractions;
using static Colony.IntegrationTests.FileSystem.Fs;

namespace Colony.IntegrationTests.FileSystem;

/// <summary>
/// Files written and read through real node processes: the client talks HTTP to the nodes and the block
/// transfer protocol to their data ports. Blocks are 1 MiB so a few MiB cross several block boundaries.
/// </summary>
public class FileSystemTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Files_of_every_size_around_the_block_size_read_back_byte_for_byte()
    {
        await using var cluster = new LocalCluster(3);
        using var logs = cluster.DumpLogsOnFailure(output, tailLines: 60);
        await cluster.WaitForLeaderAsync();
        using var fs = cluster.FileSystem();
        await WaitForDataNodesAsync(fs, 3);

        int[] sizes = [0, 1, Block - 1, Block, Block + 1, (Block * 7) / 2];
        foreach (int size in sizes)
        {
            byte[] data = RandomBytes(size, size);
            string path = $"/sizes/f{size}";
            await WriteAsync(fs, path, data, Small());

            var status = await fs.StatAsync(path);
            Assert.NotNull(status);
            Assert.Equal(size, status.Length);
            Assert.Equal("complete", status.State);
            Assert.Equal((size + Block - 1) / Block, status.Blocks);
            Assert.Equal(3, status.Replication);
            Assert.Equal(data, await ReadAllAsync(fs, path));
        }

        // Seek and read across a block boundary through the stream's own buffer.
        byte[] big = RandomBytes((Block * 7) / 2, (Block * 7) / 2);
        var reader = await fs.OpenReadAsync($"/sizes/f{big.Length}");
        await using (reader)
        {
            reader.Seek(Block - 10, SeekOrigin.Begin);
            var piece = new byte[20];
            await reader.ReadExactlyAsync(piece);
            Assert.Equal(big.AsSpan(Block - 10, 20).ToArray(), piece);
            reader.Seek(-5, SeekOrigin.End);
            var tail = new byte[10];
            Assert.Equal(5, await reader.ReadAtLeastAsync(tail, 10, throwOnEndOfStream: false));
            Assert.Equal(big.AsSpan(big.Length - 5).ToArray(), tail[..5]);
        }

        var fsck = await LocalCluster.WaitForAsync(async () => await TryFsckAsync(fs), r => r.Status == "HEALTHY", Patience, "every replica to be reported");
        Assert.Equal(1 + 1 + 1 + 2 + 4, fsck.Blocks);
        logs.Pass();
    }

    [Fact]
    public async Task The_cli_puts_gets_lists_moves_removes_and_checks_files()
    {
        await using var cluster = new LocalCluster(3);
        using var logs = cluster.DumpLogsOnFailure(output, tailLines: 60);
        await cluster.WaitForLeaderAsync();
        using (var fs = cluster.FileSystem())
        {
            await WaitForDataNodesAsync(fs, 3);
        }
        var env = new Dictionary<string, string> { ["COLONY_SECRET_FILE"] = cluster.SecretFile };
        string[] target = ["--cluster", cluster.HttpAddresses];
        string local = Path.Combine(Path.GetTempPath(), $"colony-fs-{Guid.NewGuid():N}");
        byte[] data = RandomBytes((Block * 5) / 2, 42);
        await File.WriteAllBytesAsync(local + ".in", data);
        try
        {
            async Task<string> Ok(params string[] args)
            {
                var (code, text) = await ColonyCli.RunAsync(env, [.. args, .. target]);
                Assert.True(code == 0, $"colony {string.Join(' ', args)} exited {code}: {text}");
                return text;
            }

            await Ok("fs", "mkdir", "-p", "/a/b");
            await Ok("fs", "put", local + ".in", "/a/b/data.bin", "--block-size", "1M", "--replication", "2");
            await Ok("fs", "get", "/a/b/data.bin", local + ".out");
            Assert.Equal(data, await File.ReadAllBytesAsync(local + ".out"));

            string listing = await Ok("fs", "ls", "-R", "/a");
            Assert.Contains("/a/b/data.bin", listing, StringComparison.Ordinal);
            Assert.Contains(data.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), listing, StringComparison.Ordinal);

            string stat = await Ok("fs", "stat", "/a/b/data.bin");
            Assert.Contains("Replication: 2", stat, StringComparison.Ordinal);
            Assert.Contains("Blocks: 3", stat, StringComparison.Ordinal);

            await Ok("fs", "mv", "/a/b/data.bin", "/a/moved.bin");
            Assert.DoesNotContain("data.bin", await Ok("fs", "ls", "/a/b"), StringComparison.Ordinal);
            await Ok("fs", "get", "/a/moved.bin", local + ".moved");
            Assert.Equal(data, await File.ReadAllBytesAsync(local + ".moved"));

            string fsck = await Ok("fs", "fsck", "/a");
            Assert.Contains("Under-replicated blocks: 0", fsck, StringComparison.Ordinal);
            Assert.Contains("Corrupt blocks: 0", fsck, StringComparison.Ordinal);
            Assert.Contains("Missing blocks: 0", fsck, StringComparison.Ordinal);
            Assert.Contains("The filesystem under path '/a' is HEALTHY", fsck, StringComparison.Ordinal);

            await Ok("fs", "rm", "--skip-trash", "/a/moved.bin");
            var (code, text) = await ColonyCli.RunAsync(env, ["fs", "stat", "/a/moved.bin", .. target]);
            Assert.NotEqual(0, code);
            Assert.Contains("no such file", text, StringComparison.Ordinal);

            // Without the secret, a change is refused.
            var (refused, why) = await ColonyCli.RunAsync(["fs", "mkdir", "/nope", .. target]);
            Assert.NotEqual(0, refused);
            Assert.Contains("token", why, StringComparison.Ordinal);
        }
        finally
        {
            foreach (string suffix in (string[])[".in", ".out", ".moved"])
            {
                File.Delete(local + suffix);
            }
        }
        logs.Pass();
    }

    [Fact]
    public async Task A_file_stays_readable_after_a_data_node_is_killed()
    {
        await using var cluster = new LocalCluster(3);
        using var logs = cluster.DumpLogsOnFailure(output, tailLines: 80);
        ulong leader = await cluster.WaitForLeaderAsync();
        using var fs = cluster.FileSystem();
        await WaitForDataNodesAsync(fs, 3);
        byte[] data = RandomBytes((Block * 5) / 2, 7);
        await WriteAsync(fs, "/survivor", data, Small());

        ulong victim = cluster.Ids.First(id => id != leader);
        cluster.Kill(victim);
        Assert.Equal(data, await ReadAllAsync(fs, "/survivor"));

        // Bring it back, then kill the leader: the new one rebuilds its block map from the data nodes' reports.
        cluster.Start(victim);
        await WaitForDataNodesAsync(fs, 3);
        cluster.Kill(leader);
        await cluster.WaitForLeaderAsync(cluster.Ids.Where(id => id != leader));
        Assert.Equal(data, await ReadAllAsync(fs, "/survivor"));
        logs.Pass();
    }

    [Fact]
    public async Task Four_files_written_at_once_each_read_back_byte_for_byte()
    {
        await using var cluster = new LocalCluster(3);
        using var logs = cluster.DumpLogsOnFailure(output, tailLines: 60);
        await cluster.WaitForLeaderAsync();
        using var fs = cluster.FileSystem();
        await WaitForDataNodesAsync(fs, 3);

        // Sizes off the block boundary, so every writer has several full blocks and a partial one in flight together.
        var files = Enumerable.Range(0, 4).ToDictionary(i => $"/concurrent/f{i}", i => RandomBytes((Block * (3 + i)) + (i * 4099) + 17, 100 + i));
        await Task.WhenAll(files.Select(f => Task.Run(() => WriteAsync(fs, f.Key, f.Value, Small()))));

        foreach (var (path, data) in files)
        {
            var status = await fs.StatAsync(path);
            Assert.Equal("complete", status!.State);
            Assert.Equal(data.Length, status.Length);
            Assert.Equal(data, await ReadAllAsync(fs, path));
        }
        var fsck = await WaitHealthyAsync(fs, "every replica of the four files to be reported");
        Assert.Equal(files.Values.Sum(d => (d.Length + Block - 1) / Block), fsck.Blocks);
        Assert.Equal(0, fsck.UnderReplicated);
        logs.Pass();
    }

    [Fact]
    public async Task A_write_carries_on_with_the_surviving_nodes_when_one_dies_mid_file()
    {
        using var env = NodeEnvironment.FastRepair();
        await using var cluster = new LocalCluster(4);
        using var logs = cluster.DumpLogsOnFailure(output, tailLines: 80);
        ulong leader = await cluster.WaitForLeaderAsync();
        using var fs = cluster.FileSystem();
        await WaitForDataNodesAsync(fs, 4);
        byte[] data = RandomBytes(Block * 3, 5);

        var stream = await fs.CreateAsync("/interrupted", Small());
        ulong victim = 0;
        await using (stream)
        {
            // One full block plus half of the next: the first is on its way down its pipeline, the second half-filled.
            await stream.WriteAsync(data.AsMemory(0, Block + (Block / 2)));
            // A node the first block's pipeline is writing to: it dies with a replica half-received or just finalized,
            // and is still counted alive for a while, so the next pipelines may include it and must then recover.
            string rbw(ulong id) => Path.Combine(DataDir(cluster, id), "blocks", "rbw");
            victim = (await LocalCluster.WaitForAsync(() => Task.FromResult<ulong?>(cluster.Ids.FirstOrDefault(id => id != leader
                && (Replicas(cluster, id).Count > 0 || (Directory.Exists(rbw(id)) && Directory.EnumerateFiles(rbw(id), "blk_*").Any())))),
                id => id != 0, Patience, "the first block to reach a node that does not lead")).GetValueOrDefault();
            cluster.Kill(victim);
            await stream.WriteAsync(data.AsMemory(Block + (Block / 2)));
        }

        var status = await fs.StatAsync("/interrupted");
        Assert.Equal(data.Length, status!.Length);
        Assert.Equal("complete", status.State);
        Assert.Equal(data, await ReadAllAsync(fs, "/interrupted"));

        // The leader declares the node dead and copies what it lacked to the fourth: three live replicas of every block.
        var healed = await LocalCluster.WaitForAsync(async () => await TryFsckAsync(fs),
            r => r.Status == "HEALTHY" && r.LiveDataNodes == 3, Patience, "three live replicas of every block");
        Assert.Equal(3, healed.Blocks);
        // The disks follow the leader's map a heartbeat later: a replica the pipeline's recovery left at an older
        // stamp is deleted when its node next hears from the leader. Wait for that; the assertions below say which
        // block is short if it never comes.
        // Only the live nodes' disks count: the dead node's keeps whatever it had when it died, a replica at
        // the stamp that the pipeline's recovery then replaced included, and nothing will ever clean it.
        var survivors = cluster.Ids.Where(id => id != victim).ToArray();
        try
        {
            await LocalCluster.WaitForAsync(() => Task.FromResult<Dictionary<string, List<ulong>>?>(ReplicaMap(cluster, survivors)),
                map => map.Values.All(holders => holders.Count >= 3), Patience, "the disks to match the map");
        }
        catch (TimeoutException)
        {
        }
        foreach (var (name, holders) in ReplicaMap(cluster, survivors))
        {
            Assert.True(holders.Count >= 3, $"{name} has three replicas off the dead node {victim}: {string.Join(',', holders)}");
        }
        Assert.Equal(data, await ReadAllAsync(fs, "/interrupted"));
        logs.Pass();
    }

    [Fact]
    public async Task Fsck_sees_a_dead_node_as_under_replication_until_the_leader_copies_the_blocks_elsewhere()
    {
        // Copies at 256 KiB/s: a 1 MiB block takes seconds to copy, so the under-replicated state between the
        // death and the repair lasts long enough for fsck to be asked. At the default 32 MiB/s the repair can
        // finish between two polls, and nothing then shows the state this test is about.
        using var env = NodeEnvironment.FastRepair(("ReplicationBytesPerSecond", "262144"));
        await using var cluster = new LocalCluster(4);
        using var logs = cluster.DumpLogsOnFailure(output, tailLines: 80);
        ulong leader = await cluster.WaitForLeaderAsync();
        using var fs = cluster.FileSystem();
        await WaitForDataNodesAsync(fs, 4);
        byte[] data = RandomBytes(Block * 2, 11);
        await WriteAsync(fs, "/repaired", data, Small());
        // The data nodes report each replica as it is finalized; fsck sees them a moment later.
        await LocalCluster.WaitForAsync(async () => await TryFsckAsync(fs), r => r.Status == "HEALTHY", Patience, "the new file's replicas to be reported");

        // Kill a data node that holds replicas (not the leader, so the block map stays where it is).
        ulong victim = cluster.Ids.First(id => id != leader && cluster.ReplicaCount(id) > 0);
        cluster.Kill(victim);

        var under = await LocalCluster.WaitForAsync(async () => await TryFsckAsync(fs), r => r.Status != "HEALTHY", Patience, "the dead node's blocks to count as under-replicated");
        Assert.Equal("UNDER-REPLICATED", under.Status);
        Assert.True(under.UnderReplicated > 0);
        Assert.Equal(0, under.Missing);
        var healed = await LocalCluster.WaitForAsync(async () => await TryFsckAsync(fs), r => r.Status == "HEALTHY", Patience, "re-replication");
        Assert.Equal(0, healed.UnderReplicated);
        Assert.Equal(0, healed.Missing);
        Assert.Equal(data, await ReadAllAsync(fs, "/repaired"));
        logs.Pass();
    }
}
