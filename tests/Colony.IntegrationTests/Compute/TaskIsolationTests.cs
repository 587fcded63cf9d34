using System.Diagnostics;
using System.Text;
using Colony.Client.Jobs;
using Xunit.Abstractions;

namespace Colony.IntegrationTests.Compute;

/// <summary>
/// Tasks run as the task user (Compute:TaskUser, nobody by default) when the node is root, as in CI: a streaming
/// mapper finds itself under that uid, refused the cluster secret, the data directory and a block file, and an
/// ordinary word count is still right, its input read through the data port instead of the block files.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class TaskIsolationTests(ITestOutputHelper output)
{
    private const UnixFileMode Searchable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    [Fact]
    public async Task A_task_runs_as_the_task_user_and_cannot_read_the_nodes_files()
    {
        await using var cluster = new ComputeCluster(3);
        using var logs = cluster.DumpLogsOnFailure(output);
        // The cluster's directory is searchable by anyone, so only the modes the nodes set keep the task out.
        string root = Path.GetDirectoryName(cluster.Cluster.SecretFile)!;
        File.SetUnixFileMode(root, Searchable);
        await cluster.StartAsync();
        byte[] text = Corpus.Text(2 * ComputeCluster.Block, seed: 9, ComputeCluster.Block);
        await cluster.PutAsync("/in/text", text);
        await cluster.PutAsync("/probe/in", Encoding.UTF8.GetBytes("one line\n"));

        string dataDir = Path.Combine(root, "node-1");
        string block = Directory.EnumerateFiles(Path.Combine(dataDir, "blocks", "finalized"), "blk_*", SearchOption.AllDirectories)
            .First(f => !f.EndsWith(".meta", StringComparison.Ordinal));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(cluster.Cluster.SecretFile)); // the nodes made it 0600
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dataDir));

        // Each probe prints "name<TAB>read" or "name<TAB>refused"; the mapper drains its input first.
        string Probe(string name, string command) => $"if {command} >/dev/null 2>&1; then r=read; else r=refused; fi; printf '{name}\\t%s\\n' $r; ";
        string mapper = "cat >/dev/null; printf 'uid\\t%s\\n' \"$(id -u)\"; "
            + Probe("secret", $"cat '{cluster.Cluster.SecretFile}'") + Probe("data", $"ls '{dataDir}'") + Probe("block", $"cat '{block}'");
        var (code, submitted) = await cluster.CliAsync("job", "submit", "--mapper", mapper, "--input", "/probe/in", "--output", "/probe/out", "--reducers", "1", "--detach");
        Assert.True(code == 0, submitted);
        var probe = await cluster.WaitAsync(submitted.Trim().Split('\n')[^1].Trim());
        Assert.True(probe.Job.State == JobStates.Succeeded, probe.Job.Error);
        var found = Encoding.UTF8.GetString(Assert.Single(await cluster.PartsAsync("/probe/out")).Bytes)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')).ToDictionary(f => f[0], f => f[1], StringComparer.Ordinal);

        if (Environment.IsPrivilegedProcess)
        {
            Assert.Equal(await IdAsync("-u", "nobody"), found["uid"]);
            Assert.Equal("refused", found["secret"]);
            Assert.Equal("refused", found["data"]);
            Assert.Equal("refused", found["block"]);
        }
        else
        {
            // A node that is not root cannot switch users: it says so, and its tasks run as itself.
            Assert.Equal(await IdAsync("-u"), found["uid"]);
            Assert.Contains("tasks are not isolated", cluster.Cluster.LogOf(1), StringComparison.Ordinal);
        }

        var job = await cluster.WaitAsync(await cluster.Jobs.SubmitAsync(ComputeCluster.WordCount("/in/text", "/out", reducers: 2)));
        Assert.True(job.Job.State == JobStates.Succeeded, job.Job.Error);
        Assert.Equal(ComputeCluster.Expected(text), await cluster.CountsAsync("/out"));
        Assert.True(job.Counters["FileSystem.BytesRead"] >= text.Length, $"{job.Counters["FileSystem.BytesRead"]} bytes read");
        if (Environment.IsPrivilegedProcess)
        {
            // The task user may not open block files: every byte came through a data node's port.
            Assert.Equal(0L, job.Counters.GetValueOrDefault("FileSystem.LocalBytesRead"));
        }
        logs.Pass();
    }

    private static async Task<string> IdAsync(params string[] args)
    {
        var start = new ProcessStartInfo("id") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        string text = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
        return text.Trim();
    }
}
