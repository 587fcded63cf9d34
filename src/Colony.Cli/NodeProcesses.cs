using System.Diagnostics;
using System.Globalization;

namespace Colony.Cli;

/// <summary>
/// Starts, stops and kills the node processes of a local cluster. A node runs detached: in its own
/// session (so it outlives the CLI and the terminal), with stdin from /dev/null and its output
/// appended to <c>node-ID.log</c>.
/// </summary>
internal sealed class NodeProcesses(NodeCommandLine command, TimeProvider time)
{
    /// <summary>How often waits look at the process table.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>How long a SIGKILLed process may take to disappear.</summary>
    public static readonly TimeSpan KillGrace = TimeSpan.FromSeconds(5);

    // A shell forks the node into the background under setsid and prints its process id, then
    // exits, so the node is nobody's child here. The shell's own words: $1 the log, then the node's
    // command line.
    private const string Launcher =
        "command -v setsid >/dev/null 2>&1 || { echo 'setsid is not installed' >&2; exit 127; }\n" +
        "log=$1; shift\n" +
        "setsid \"$@\" </dev/null >>\"$log\" 2>&1 &\n" +
        "echo $!\n";

    /// <summary>
    /// How the line begins that each start writes to the node's log before the node runs: what follows
    /// the last such line is the latest run's own output.
    /// </summary>
    public const string StartMarker = "--- colony: node start ";

    // Variables that only steer the CLI; the nodes read COLONY_ variables as their own configuration.
    private static readonly string[] CliOnlyVariables = [CliContext.ClusterVariable, CliContext.DataVariable, NodeCommandLine.OverrideVariable];

    /// <summary>Starts the node of <paramref name="configPath"/> and returns its process id.</summary>
    public async Task<int> StartAsync(string configPath, string logPath, string workingDirectory, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("/bin/sh")
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in (IEnumerable<string>)["-c", Launcher, "colony-node", logPath, command.Executable, .. command.ArgumentsFor(configPath)])
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var name in CliOnlyVariables)
        {
            start.Environment.Remove(name);
        }

        var commandLine = string.Join(' ', [command.Executable, .. command.ArgumentsFor(configPath)]);
        try
        {
            File.AppendAllText(logPath, $"{StartMarker}at {time.GetUtcNow():yyyy-MM-ddTHH:mm:ssZ}: {commandLine} ---\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliError($"cannot write the node's log {logPath}: {e.Message}");
        }

        using var shell = Process.Start(start) ?? throw new CliError("could not start /bin/sh");
        var output = shell.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = shell.StandardError.ReadToEndAsync(cancellationToken);
        await shell.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        var pidText = (await output.ConfigureAwait(false)).Trim();
        var errorText = (await error.ConfigureAwait(false)).Trim();
        if (shell.ExitCode != 0 || !int.TryParse(pidText, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid <= 0)
        {
            throw new CliError($"could not start a node: {NodeClient.OneLine(errorText.Length > 0 ? errorText : $"launcher exited {shell.ExitCode}")}");
        }

        return pid;
    }

    /// <summary>
    /// Waits until the node's process is gone, not merely no longer recognisable as the node: one on its
    /// way out may still hold its ports. False if it is still there after <paramref name="timeout"/>.
    /// </summary>
    public async Task<bool> WaitForExitAsync(int pid, string configPath, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Deadline(timeout);
        while (!ProcessTable.HasExited(pid, configPath))
        {
            if (time.GetTimestamp() >= deadline)
            {
                return false;
            }

            await Task.Delay(PollInterval, time, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>
    /// Waits while the process is between two programs, as a node just launched is for a moment, so that
    /// it can be told apart from one that has exited, and signalled. Gives up after <see cref="KillGrace"/>.
    /// </summary>
    private async Task SettleAsync(int pid, string configPath, CancellationToken cancellationToken)
    {
        var deadline = Deadline(KillGrace);
        while (ProcessTable.Inspect(pid, configPath) == NodeProcessState.Changing && time.GetTimestamp() < deadline)
        {
            await Task.Delay(PollInterval, time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>SIGTERM, then wait; returns what happened.</summary>
    public async Task<StopOutcome> StopAsync(int pid, string configPath, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await SettleAsync(pid, configPath, cancellationToken).ConfigureAwait(false);
        if (!ProcessTable.SignalNode(pid, configPath, ProcessTable.SigTerm))
        {
            return StopOutcome.NotRunning;
        }

        return await WaitForExitAsync(pid, configPath, timeout, cancellationToken).ConfigureAwait(false) ? StopOutcome.Stopped : StopOutcome.StillRunning;
    }

    /// <summary>SIGKILL, then wait for the process to be gone.</summary>
    public async Task<StopOutcome> KillAsync(int pid, string configPath, CancellationToken cancellationToken)
    {
        await SettleAsync(pid, configPath, cancellationToken).ConfigureAwait(false);
        if (!ProcessTable.SignalNode(pid, configPath, ProcessTable.SigKill))
        {
            return StopOutcome.NotRunning;
        }

        return await WaitForExitAsync(pid, configPath, KillGrace, cancellationToken).ConfigureAwait(false) ? StopOutcome.Killed : StopOutcome.StillRunning;
    }

    /// <summary>SIGTERM, and SIGKILL if it has not exited after <paramref name="timeout"/>.</summary>
    public async Task<StopOutcome> StopOrKillAsync(int pid, string configPath, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var stopped = await StopAsync(pid, configPath, timeout, cancellationToken).ConfigureAwait(false);
        if (stopped != StopOutcome.StillRunning)
        {
            return stopped;
        }

        var killed = await KillAsync(pid, configPath, cancellationToken).ConfigureAwait(false);
        return killed == StopOutcome.NotRunning ? StopOutcome.Stopped : killed;
    }

    private long Deadline(TimeSpan timeout) => time.GetTimestamp() + (long)(timeout.TotalSeconds * time.TimestampFrequency);
}

internal enum StopOutcome
{
    NotRunning,
    Stopped,
    Killed,
    StillRunning,
}
