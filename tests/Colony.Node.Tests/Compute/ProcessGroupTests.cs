using System.Diagnostics;
using System.Globalization;
using Colony.Node.Compute;

namespace Colony.Node.Tests.Compute;

/// <summary>Executors run in process groups of their own, killed with one signal: real processes.</summary>
public sealed class ProcessGroupTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_started_process_leads_its_own_group_and_keeps_its_id()
    {
        Assert.True(ProcessGroup.Available, "setsid(1) is part of util-linux");
        using var shell = StartShellWithTwoSleepers();
        try
        {
            var members = await WaitForGroupAsync(shell.Id, count: 3);
            Assert.Contains(shell.Id, members);
            Assert.NotEqual(GroupOf(Environment.ProcessId), shell.Id);
        }
        finally
        {
            ProcessGroup.Kill(shell);
        }
    }

    [Fact]
    public async Task Kill_ends_the_process_and_everything_it_started_and_leaves_nothing_stopped()
    {
        using var shell = StartShellWithTwoSleepers();
        await WaitForGroupAsync(shell.Id, count: 3);

        ProcessGroup.Kill(shell);

        Assert.True(shell.WaitForExit(Patience), "the group's leader still runs");
        await WaitUntilAsync(() => Members(shell.Id).Count == 0, "every member of the group to die");
    }

    [Fact]
    public async Task Killing_only_the_leader_would_leave_its_children_running()
    {
        // The control for the test above: the children really do outlive their parent's SIGKILL.
        using var shell = StartShellWithTwoSleepers();
        await WaitForGroupAsync(shell.Id, count: 3);
        try
        {
            shell.Kill();
            Assert.True(shell.WaitForExit(Patience));
            Assert.Equal(2, Members(shell.Id).Count);
        }
        finally
        {
            ProcessGroup.Kill(shell); // ends the whole group if an assertion failed with the leader still running
            // A reaped leader's group is not signalled (its id may be reused): its stragglers are ended one by one.
            foreach (int straggler in Members(shell.Id))
            {
                using var process = Process.GetProcessById(straggler);
                process.Kill();
            }
        }
    }

    private static Process StartShellWithTwoSleepers()
    {
        var start = ProcessGroup.StartInfo("/bin/sh", ["-c", "sleep 300 & sleep 300 & wait"]);
        return Process.Start(start) ?? throw new InvalidOperationException("could not start /bin/sh");
    }

    private static async Task<IReadOnlyList<int>> WaitForGroupAsync(int group, int count)
    {
        await WaitUntilAsync(() => Members(group).Count == count, $"{count} processes in group {group}");
        return Members(group);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > Patience)
            {
                throw new TimeoutException($"timed out waiting for {what}");
            }
            await Task.Delay(20);
        }
    }

    /// <summary>Living processes (zombies aside) whose process group is <paramref name="group"/>.</summary>
    private static List<int> Members(int group)
    {
        var members = new List<int>();
        foreach (string directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
                && Stat(pid) is { } stat && stat.Group == group && stat.State != 'Z')
            {
                members.Add(pid);
            }
        }
        return members;
    }

    private static int GroupOf(int pid) => Stat(pid)?.Group ?? throw new InvalidOperationException($"no process {pid}");

    /// <summary>The state and process group from /proc/PID/stat (the fields after the command's closing parenthesis).</summary>
    private static (char State, int Group)? Stat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // exited meanwhile
        }
        string[] fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return (fields[0][0], int.Parse(fields[2], CultureInfo.InvariantCulture));
    }
}
