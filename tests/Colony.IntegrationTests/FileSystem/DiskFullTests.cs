using System.Diagnostics;
using System.Globalization;
using Colony.Client.FileSystem;
using Xunit.Abstractions;
using static Colony.IntegrationTests.FileSystem.Fs;

namespace Colony.IntegrationTests.FileSystem;

/// <summary>
/// Real ENOSPC in the middle of a block, on size-limited tmpfs volumes. (A disk that is full before a write
/// starts is covered by <see cref="FaultTests.A_full_disk_gives_a_clear_error_leaves_no_complete_file_and_the_nodes_stay_healthy"/>.)
/// </summary>
public class DiskFullTests(ITestOutputHelper output)
{
    private const long Page = 4096;

    [Fact]
    public async Task A_disk_filling_mid_block_fails_only_that_replica_and_when_every_disk_fills_the_put_fails_clearly()
    {
        // A 1 MiB block needs 256 pages of data and one page of checksums. The space check counts the data only,
        // so a volume with exactly 256 free pages accepts the block and runs out on its last packet.
        // Node 1 starts that way; nodes 2 and 3 have room for two blocks and then end up the same.
        var pages = new Dictionary<ulong, long> { [1] = 256, [2] = 2 * 257 + 256, [3] = 2 * 257 + 256 };
        var mounts = new List<string>();
        string? root = null;
        try
        {
            using var env = NodeEnvironment.FastRepair(("BlockReserveBytes", "0"));
            await using var cluster = new LocalCluster(3, prepare: (id, dir) =>
            {
                string blocks = Path.Combine(dir, "blocks");
                Directory.CreateDirectory(blocks);
                Mount(blocks, pages[id] * Page);
                mounts.Add(blocks);
            });
            root = Path.GetDirectoryName(cluster.SecretFile);
            using var logs = cluster.DumpLogsOnFailure(output, tailLines: 80);
            await cluster.WaitForLeaderAsync();
            using var fs = cluster.FileSystem();
            await WaitForDataNodesAsync(fs, 3);

            // Node 1 is in every pipeline (three nodes, replication 3) and its disk fills mid-block: the write
            // carries on with nodes 2 and 3.
            byte[] data = RandomBytes(Block * 2, 300);
            await WriteAsync(fs, "/full/a", data, Small(3));
            Assert.Equal(data, await ReadAllAsync(fs, "/full/a"));
            Assert.Equal("complete", (await fs.StatAsync("/full/a"))!.State);

            // Its partial replicas are gone (repair keeps trying to copy there and fails the same clean way), and
            // it stays in service, saying in its heartbeat that writes hit a full disk.
            await LocalCluster.WaitForAsync(() => Task.FromResult<object?>(BlockFiles(cluster, 1).Count == 0 ? true : null), _ => true,
                Patience, "node 1's partial replicas to be deleted");
            var full = await LocalCluster.WaitForAsync(async () => (await fs.DataNodesAsync()).FirstOrDefault(n => n.Id == 1),
                n => n.DiskFullWrites > 0, Patience, "node 1 to report writes that hit its full disk");
            Assert.Equal("alive", full.State);
            Assert.Matches(@"write at \d+: disk full", cluster.LogOf(1)); // ENOSPC mid-block, not a refusal up front

            // Now every disk has 256 pages left: every replica of the next block fails mid-block.
            await PutIsRefusedForSpaceAsync(cluster, fs, "/full/b", RandomBytes(Block, 301), output);

            // No partial replica anywhere: nodes 2 and 3 hold /full/a's two blocks and nothing else; all stay healthy.
            await LocalCluster.WaitForAsync(() => Task.FromResult<object?>(
                    BlockFiles(cluster, 1).Count == 0 && BlockFiles(cluster, 2).Count == 4 && BlockFiles(cluster, 3).Count == 4 ? true : null),
                _ => true, Patience, "only /full/a's finalized replicas on the disks");
            Assert.All(new ulong[] { 2, 3 }, id => Assert.All(BlockFiles(cluster, id), f => Assert.Contains("finalized", f, StringComparison.Ordinal)));
            foreach (var id in cluster.Ids)
            {
                using var health = await cluster.Http.GetAsync(new Uri(cluster.HttpAddress(id) + "/health"));
                Assert.True(health.IsSuccessStatusCode, $"node {id} is unhealthy after its disk filled");
            }
            Assert.All(await fs.DataNodesAsync(), n => Assert.Equal("alive", n.State));
            Assert.All(cluster.Ids, id => Assert.Matches(@"write at \d+: disk full", cluster.LogOf(id)));
            Assert.Equal(data, await ReadAllAsync(fs, "/full/a"));
            logs.Pass();
        }
        finally
        {
            foreach (var mount in mounts)
            {
                Unmount(mount);
            }
            if (root is not null && Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    /// <summary>Every replica file (data and checksums, being written or finalized) under a node's blocks directory.</summary>
    private static List<string> BlockFiles(LocalCluster cluster, ulong id) =>
        [.. Directory.EnumerateFiles(Path.Combine(DataDir(cluster, id), "blocks"), "blk_*", SearchOption.AllDirectories)];

    private static void Mount(string directory, long bytes)
    {
        var (code, error) = Run("mount", "-t", "tmpfs", "-o", string.Create(CultureInfo.InvariantCulture, $"size={bytes}"), "tmpfs", directory);
        if (code != 0)
        {
            // Not a skip: this test exists to exercise a real full disk, and it must fail where it cannot.
            throw new InvalidOperationException($"this test mounts a size-limited tmpfs and needs root for it; mount exited {code}: {error}");
        }
    }

    private static void Unmount(string directory)
    {
        if (Run("umount", directory).Code != 0)
        {
            Run("umount", "-l", directory); // still busy: detach it now, the kernel frees it when the last user goes
        }
    }

    private static (int Code, string Error) Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not run {program}");
        string error = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, error.Trim());
    }
}
