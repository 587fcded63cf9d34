using System.Globalization;
using System.Runtime.InteropServices;

namespace Colony.Cli;

/// <summary>What the process table shows for a node's process id.</summary>
internal enum NodeProcessState
{
    /// <summary>No such process, a zombie, or another program (the id was reused): the node has exited.</summary>
    Gone,

    /// <summary>Alive, and its command line names the node's configuration.</summary>
    Node,

    /// <summary>
    /// Alive, with no command line to read: between two programs (execve has replaced its memory but
    /// not yet laid out the new program's arguments) or on its way out (its memory released, its
    /// files and sockets perhaps not yet). It settles within moments, into <see cref="Node"/> or
    /// <see cref="Gone"/>. A node being launched passes through this twice (into setsid, then
    /// into the node's program), so this is not an exit.
    /// </summary>
    Changing,
}

/// <summary>
/// Looks at and signals processes by id, through /proc and kill(2). A process counts as a given
/// node only while its command line holds <c>--config</c> followed by that node's configuration
/// file, so a recycled process id is never mistaken for a node, and never signalled.
/// </summary>
internal static partial class ProcessTable
{
    public const int SigKill = 9;
    public const int SigTerm = 15;

    private const int NoSuchProcess = 3; // ESRCH

    // The flag in /proc/PID/stat of a kernel thread, whose command line is always empty.
    private const long KernelThread = 0x00200000; // PF_KTHREAD

    /// <summary>True while <paramref name="pid"/> is alive and runs the node configured by <paramref name="configPath"/>.</summary>
    public static bool IsNode(int pid, string configPath) => Inspect(pid, configPath) == NodeProcessState.Node;

    /// <summary>True once <paramref name="pid"/> has exited (or runs another program); false while it is, or may be about to be, the node.</summary>
    public static bool HasExited(int pid, string configPath) => Inspect(pid, configPath) == NodeProcessState.Gone;

    /// <summary>Whether <paramref name="pid"/> runs the node configured by <paramref name="configPath"/>, has exited, or is between programs.</summary>
    public static NodeProcessState Inspect(int pid, string configPath)
    {
        if (pid <= 0)
        {
            return NodeProcessState.Gone;
        }

        try
        {
            // "PID (COMM) STATE PPID PGRP SESSION TTY TPGID FLAGS ...": COMM may hold spaces and parentheses.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var close = stat.LastIndexOf(')');
            var fields = close >= 0 ? stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];
            // A zombie has exited; only its parent has not collected it yet.
            if (fields.Length < 7 || fields[0] is "Z" or "X" or "x")
            {
                return NodeProcessState.Gone;
            }

            var arguments = File.ReadAllText($"/proc/{pid}/cmdline");
            if (arguments.Length == 0)
            {
                var kernelThread = long.TryParse(fields[6], NumberStyles.None, CultureInfo.InvariantCulture, out var flags) && (flags & KernelThread) != 0;
                return kernelThread ? NodeProcessState.Gone : NodeProcessState.Changing;
            }

            return HasConfigArgument(arguments.Split('\0'), configPath) ? NodeProcessState.Node : NodeProcessState.Gone;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return NodeProcessState.Gone;
        }
    }

    /// <summary>True when the arguments hold <c>--config</c> followed by <paramref name="configPath"/>.</summary>
    internal static bool HasConfigArgument(IReadOnlyList<string> arguments, string configPath)
    {
        var wanted = Path.GetFullPath(configPath);
        for (var i = 0; i + 1 < arguments.Count; i++)
        {
            if (arguments[i] == "--config" && arguments[i + 1].Length > 0 && Path.GetFullPath(arguments[i + 1]) == wanted)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Sends <paramref name="signal"/> to the node's process if it is still that node; false if it was not running.</summary>
    public static bool SignalNode(int pid, string configPath, int signal)
    {
        if (!IsNode(pid, configPath))
        {
            return false;
        }

        if (Kill(pid, signal) == 0)
        {
            return true;
        }

        var error = Marshal.GetLastPInvokeError();
        if (error == NoSuchProcess)
        {
            return false;
        }

        throw new CliError($"cannot signal process {pid}: {Marshal.GetPInvokeErrorMessage(error)}");
    }

    /// <summary>kill(2): 0, or -1 with the error in the last P/Invoke error.</summary>
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    internal static partial int Kill(int pid, int signal);
}
