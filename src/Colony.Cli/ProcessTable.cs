using System.Runtime.InteropServices;

namespace Colony.Cli;

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

    /// <summary>True while <paramref name="pid"/> is alive and runs the node configured by <paramref name="configPath"/>.</summary>
    public static bool IsNode(int pid, string configPath)
    {
        if (pid <= 0)
        {
            return false;
        }

        try
        {
            // A zombie has exited; only its parent has not collected it yet.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat.LastIndexOf(')') is var close and >= 0 && close + 2 < stat.Length ? stat[close + 2] : '?';
            if (state is 'Z' or 'X' or 'x')
            {
                return false;
            }

            var arguments = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
            return HasConfigArgument(arguments, configPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
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

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
