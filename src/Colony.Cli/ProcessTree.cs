using System.Globalization;

namespace Colony.Cli;

/// <summary>
/// A process and its descendants, as /proc shows them, for stopping a command with everything it
/// started. Each member is remembered with its start time, so a process id that the kernel reuses
/// for another program is never signalled.
/// </summary>
internal static class ProcessTree
{
    /// <summary>One process: its id and its start time (clock ticks since boot), which together name it for good.</summary>
    public readonly record struct Member(int Pid, ulong StartTime);

    /// <summary>The living process with this id, or null. Ids are reused (soon, where pid_max is 32768): keep the member, not the id.</summary>
    public static Member? Find(int pid) => Read(pid) is { } stat ? new Member(pid, stat.StartTime) : null;

    /// <summary>
    /// <paramref name="root"/> and every living descendant of it, root first. Empty if the root has
    /// exited (or its id now names another process). A descendant whose parent already exited has
    /// been adopted elsewhere and is not found.
    /// </summary>
    public static List<Member> Of(Member root)
    {
        var children = new Dictionary<int, List<Member>>();
        Member? top = null;
        foreach (string directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
                || Read(pid) is not { } stat)
            {
                continue;
            }
            if (pid == root.Pid && stat.StartTime == root.StartTime)
            {
                top = new Member(pid, stat.StartTime);
            }
            if (!children.TryGetValue(stat.Parent, out var siblings))
            {
                children[stat.Parent] = siblings = [];
            }
            siblings.Add(new Member(pid, stat.StartTime));
        }
        if (top is not { } found)
        {
            return [];
        }
        var tree = new List<Member> { found };
        for (int i = 0; i < tree.Count; i++)
        {
            if (children.TryGetValue(tree[i].Pid, out var below))
            {
                tree.AddRange(below);
            }
        }
        return tree;
    }

    /// <summary>True while the member runs: not exited, not a zombie, and its id not reused.</summary>
    public static bool IsAlive(Member member) => Read(member.Pid) is { } stat && stat.StartTime == member.StartTime;

    /// <summary>Sends <paramref name="signal"/> to every member still alive.</summary>
    public static void Signal(IEnumerable<Member> members, int signal)
    {
        foreach (var member in members)
        {
            if (IsAlive(member))
            {
                _ = ProcessTable.Kill(member.Pid, signal);
            }
        }
    }

    /// <summary>The parent and start time of a living process; null if it has exited or is a zombie.</summary>
    private static (int Parent, ulong StartTime)? Read(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
        // "PID (COMM) STATE PPID ... STARTTIME(22nd) ...": COMM may hold spaces and parentheses.
        int close = stat.LastIndexOf(')');
        string[] fields = close >= 0 ? stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];
        if (fields.Length < 20 || fields[0] is "Z" or "X"
            || !int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out int parent)
            || !ulong.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out ulong start))
        {
            return null;
        }
        return (parent, start);
    }
}
