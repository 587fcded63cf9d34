using System.Runtime.InteropServices;

namespace Colony.FaultTests.Bed;

/// <summary>POSIX signals to node processes, by pid.</summary>
internal static class Signals
{
    public const int Kill = 9;
    public const int Continue = 18;
    public const int Stop = 19;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int signal);

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEffectiveUserId();

    public static bool IsRoot => OperatingSystem.IsLinux() && GetEffectiveUserId() == 0;

    /// <summary>Sends the signal; false if the process is gone.</summary>
    public static bool Send(int pid, int signal) => SysKill(pid, signal) == 0;

    public static bool IsAlive(int pid) => Directory.Exists($"/proc/{pid}");
}
