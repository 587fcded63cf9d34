using Colony.Node.Compute;
using Colony.Node.Hosting;
using Colony.Node.Security;

namespace Colony.Node.Tests.Compute;

/// <summary>Executors' work directories go when they are done with: real processes, real directories.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class TaskDirectoryCleanupTests : IDisposable
{
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("colony-cleanup-");
    private readonly List<string> _roots = [];

    public void Dispose()
    {
        foreach (string root in _roots.Where(Directory.Exists))
        {
            Directory.Delete(root, recursive: true);
        }
        _scratch.Delete(recursive: true);
    }

    /// <summary>
    /// A finished job's executor is disposed while its watcher, which removes the executor's directory, still waits
    /// for the exit. The watcher must still learn why it ended; before, it failed, and the directory stayed.
    /// </summary>
    [Fact]
    public async Task An_executor_disposed_before_its_watcher_asks_still_reports_why_it_ended()
    {
        string script = Path.Combine(_scratch.FullName, "executor.sh");
        File.WriteAllText(script, "#!/bin/sh\nread line\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string home = Directory.CreateDirectory(Path.Combine(_scratch.FullName, "home")).FullName;
        using var sandbox = new TaskSandbox(TaskIdentity.NodeUser("test"), _scratch.FullName, ownsRoot: false);
        var executor = ExecutorProcess.Start(new ComputeOptions { ExecutorCommand = script }, sandbox, null, home,
            "http://127.0.0.1:1", null, home, null, NodeTls.None, _ => { });

        await executor.DisposeAsync();
        string why = await executor.Exited.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("the executor exited with code 137", why); // 128 + SIGKILL
    }

    [Fact]
    public void A_start_removes_every_root_its_record_names_and_then_records_only_its_own()
    {
        Assert.True(Environment.IsPrivilegedProcess, "isolated tasks need a node run as root, as these tests are");
        string data = Directory.CreateDirectory(Path.Combine(_scratch.FullName, "data")).FullName;
        string record = Path.Combine(data, "task-directory");
        string[] stale = [StaleRoot(), StaleRoot()];
        File.WriteAllLines(record, stale);

        string? root = null;
        using (var sandbox = TaskSandbox.Create(new NodeOptions { DataDir = data }, new ComputeOptions { ExecutorCommand = "/bin/true", TaskUser = "nobody" }))
        {
            Assert.True(sandbox.Identity.Isolated, sandbox.Identity.Description);
            root = sandbox.Root;
            _roots.Add(root);
            Assert.All(stale, directory => Assert.False(Directory.Exists(directory), $"{directory} is still there"));
            Assert.Equal([root], File.ReadAllLines(record));
            Directory.CreateDirectory(sandbox.PrepareStandbyDirectory());
        }

        Assert.False(Directory.Exists(root), "a stopping node removes its own root, standby directories and all");
    }

    /// <summary>A killed node's root, as it left it: a standby executor's directory, the task user's, with a file inside.</summary>
    private string StaleRoot()
    {
        string root = Directory.CreateTempSubdirectory("colony-tasks-").FullName;
        _roots.Add(root);
        File.SetUnixFileMode(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        string standby = Directory.CreateDirectory(Path.Combine(root, ".standby-1-1", "tmp")).FullName;
        File.WriteAllText(Path.Combine(standby, "left"), "by a killed executor");
        var nobody = UnixAccounts.Find("nobody")!;
        foreach (string path in (string[])[Path.Combine(standby, "left"), standby, Path.GetDirectoryName(standby)!])
        {
            UnixAccounts.ChangeOwner(path, nobody.Uid, nobody.Gid);
        }
        return root;
    }
}
