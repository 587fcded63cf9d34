using System.Diagnostics;
using Colony.Client.FileSystem;
using Xunit.Abstractions;
using static Colony.IntegrationTests.FileSystem.Fs;

namespace Colony.IntegrationTests.FileSystem;

/// <summary>
/// Write leases with real node processes: one writer per file at a time, and a file whose writer died is closed
/// by the leader once the lease's hard limit passes, keeping exactly the blocks that were committed.
/// </summary>
public class LeaseTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_second_writer_is_refused_while_the_first_holds_the_file_open_and_the_refusal_names_the_holder()
    {
        await using var cluster = new LocalCluster(3);
        using var logs = cluster.DumpLogsOnFailure(output, tailLines: 60);
        await cluster.WaitForLeaderAsync();
        using var first = cluster.FileSystem(new ColonyFileSystemOptions { ClientName = "lease-writer-one" });
        using var second = cluster.FileSystem(new ColonyFileSystemOptions { ClientName = "lease-writer-two" });
        await WaitForDataNodesAsync(first, 3);
        byte[] data = RandomBytes(Block + (Block / 2), 81);

        var stream = await first.CreateAsync("/lease/held", Small());
        await using (stream)
        {
            await stream.WriteAsync(data.AsMemory(0, Block + 100));
            foreach (bool overwrite in (bool[])[false, true])
            {
                // Even an overwrite may not take a file from its writer.
                var refused = await Assert.ThrowsAsync<FsException>(() =>
                    second.CreateAsync("/lease/held", Small() with { Overwrite = overwrite }));
                Assert.Equal("LeaseConflict", refused.Error);
                Assert.Equal(409, refused.StatusCode);
                Assert.Contains("lease-writer-one", refused.Message, StringComparison.Ordinal);
            }
            var open = await second.StatAsync("/lease/held");
            Assert.Equal("lease-writer-one", open!.LeaseHolder);
            await stream.WriteAsync(data.AsMemory(Block + 100));
        }

        // Closed: the first writer's bytes are all there, and the lease is free for the second.
        Assert.Equal(data, await ReadAllAsync(second, "/lease/held"));
        byte[] replacement = RandomBytes(Block / 3, 82);
        await WriteAsync(second, "/lease/held", replacement, Small() with { Overwrite = true });
        Assert.Equal(replacement, await ReadAllAsync(first, "/lease/held"));
        logs.Pass();
    }

    [Fact]
    public async Task When_a_writer_is_killed_the_leader_recovers_its_lease_keeping_the_committed_blocks()
    {
        // Past the client's 5 s renewal period, so a live writer keeps its lease, but short enough to wait out.
        using var env = NodeEnvironment.FastRepair(("LeaseHardLimitMs", "7000"));
        await using var cluster = new LocalCluster(3);
        using var logs = cluster.DumpLogsOnFailure(output, tailLines: 80);
        await cluster.WaitForLeaderAsync();
        using var fs = cluster.FileSystem(new ColonyFileSystemOptions { ClientName = "lease-successor" });
        await WaitForDataNodesAsync(fs, 3);
        byte[] data = RandomBytes(Block + (Block / 2), 83);
        const string path = "/lease/orphan";

        using (var put = StartPut(cluster, path))
        {
            try
            {
                await put.StandardInput.BaseStream.WriteAsync(data);
                await put.StandardInput.BaseStream.FlushAsync();
                // The first block goes out once full; the half block behind it waits in the writer's buffer for more input.
                var open = await LocalCluster.WaitForAsync(() => StatOrNullAsync(fs, path),
                    s => s.Length == Block, Patience, "the first block to be committed");
                Assert.Equal("under-construction", open.State);
                Assert.NotNull(open.LeaseHolder);

                var refused = await Assert.ThrowsAsync<FsException>(() => fs.CreateAsync(path, Small() with { Overwrite = true }));
                Assert.Equal("LeaseConflict", refused.Error);
                Assert.Contains(open.LeaseHolder, refused.Message, StringComparison.Ordinal);
            }
            finally
            {
                put.Kill(entireProcessTree: true); // SIGKILL: no close, no abort, no more renewals
                await put.WaitForExitAsync();
            }
        }

        // Recovery drops only a last block that was never committed; every committed block stays.
        var recovered = await LocalCluster.WaitForAsync(() => StatOrNullAsync(fs, path),
            s => s.State == "complete", Patience, "the leader to recover the dead writer's lease");
        Assert.True(recovered.ClosedByRecovery, $"closed by recovery: {recovered}");
        Assert.Null(recovered.LeaseHolder);
        Assert.Equal(Block, recovered.Length);
        Assert.Equal(1, recovered.Blocks);
        Assert.Equal(data.AsSpan(0, Block).ToArray(), await ReadAllAsync(fs, path));

        // The file is closed like any other: a plain create finds it there, an overwrite takes it.
        var exists = await Assert.ThrowsAsync<FsException>(() => fs.CreateAsync(path, Small()));
        Assert.Equal("AlreadyExists", exists.Error);
        await WriteAsync(fs, path, data, Small() with { Overwrite = true });
        var rewritten = await fs.StatAsync(path);
        Assert.False(rewritten!.ClosedByRecovery);
        Assert.Equal(data, await ReadAllAsync(fs, path));
        logs.Pass();
    }

    /// <summary>`colony fs put - PATH` with 1 MiB blocks, reading the file from its standard input.</summary>
    private static Process StartPut(LocalCluster cluster, string path)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        start.Environment["COLONY_SECRET_FILE"] = cluster.SecretFile;
        foreach (string arg in (string[])[Path.Combine(AppContext.BaseDirectory, "colony.dll"), "fs", "put", "-", path,
            "--block-size", "1M", "--cluster", cluster.HttpAddresses])
        {
            start.ArgumentList.Add(arg);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start colony fs put");
        // Drained so a full pipe never blocks the child.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task<FsFileStatus?> StatOrNullAsync(ColonyFileSystem fs, string path)
    {
        try
        {
            return await fs.StatAsync(path);
        }
        catch (Exception e) when (e is FsException or HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }
}
