using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Colony.Node.Compute;

/// <summary>
/// Starts a process as the leader of a process group of its own (through setsid(1)), so that it and
/// everything it starts can be killed with one signal. The runtime's tree kill stops each process
/// (SIGSTOP), lists its children, then kills it: a node that dies between the two leaves a stopped
/// executor behind for good, which no end of input can wake. One SIGKILL to the group leaves nothing
/// stopped, and reaches the tasks' own processes in the same instant.
/// </summary>
internal static class ProcessGroup
{
    private const int SigKill = 9;

    /// <summary>setsid(1) from util-linux, or null when it is not installed (then the tree kill is used).</summary>
    private static readonly string? Setsid = File.Exists("/usr/bin/setsid") ? "/usr/bin/setsid" : null;

    /// <summary>True when processes are started in groups of their own.</summary>
    public static bool Available => Setsid is not null;

    /// <summary>
    /// The start info for <paramref name="program"/> with <paramref name="arguments"/>, run through setsid
    /// when available. The child of a fork is never a group leader, so setsid(1) execs in place: the
    /// process keeps the id the runtime knows, and that id names its group.
    /// </summary>
    public static ProcessStartInfo StartInfo(string program, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(Setsid ?? program) { UseShellExecute = false };
        if (Setsid is not null)
        {
            start.ArgumentList.Add(program);
        }
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        return start;
    }

    /// <summary>
    /// Kills the process and its group at once. Only while the process is known to run: once it has
    /// been reaped, its id may name another group. Without setsid, falls back to the runtime's tree kill.
    /// </summary>
    public static void Kill(Process process)
    {
        try
        {
            if (Setsid is null)
            {
                process.Kill(entireProcessTree: true);
                return;
            }
            if (!process.HasExited)
            {
                _ = SysKill(-process.Id, SigKill);
            }
            process.Kill();
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    // DllImport rather than LibraryImport: the generated stubs need unsafe code; this marshals two ints.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int signal);
}
