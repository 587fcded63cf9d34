using System.Globalization;

namespace Colony.IntegrationTests.Recipes;

/// <summary>
/// A process named by its id and its start time. Process ids come back soon (pid_max may be 32768
/// and the tests start thousands of processes), so a test that checks or signals a process it saw
/// earlier must never reach a stranger that got the same id.
/// </summary>
internal readonly record struct ProcessIdentity(int Pid, ulong StartTime)
{
    /// <summary>The process that runs with this id now.</summary>
    public static ProcessIdentity Of(int pid) =>
        new(pid, StartTimeOf(pid) ?? throw new InvalidOperationException($"process {pid} is not running"));

    /// <summary>True once it has exited: gone, a zombie, or its id taken by another process.</summary>
    public bool IsGone => StartTimeOf(Pid) != StartTime;

    /// <summary>SIGKILL, if it still runs: for clean-up after a failed test.</summary>
    public void KillIfAlive()
    {
        if (!IsGone)
        {
            ChildProcess.Signal(Pid, ChildProcess.SigKill);
        }
    }

    public override string ToString() => Pid.ToString(CultureInfo.InvariantCulture);

    private static ulong? StartTimeOf(int pid)
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
        // "PID (COMM) STATE ... STARTTIME(22nd)": COMM may hold spaces and parentheses.
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return fields[0] is "Z" or "X" ? null : ulong.Parse(fields[19], CultureInfo.InvariantCulture);
    }
}
