using System.Diagnostics;
using System.Text;

namespace Colony.Compat.Tests;

/// <summary>
/// Answers a scenario's control request (a line it printed after "@", such as
/// "CONNECTED-TO 127.0.0.1:23001") with the one line the scenario reads back from stdin.
/// </summary>
public delegate Task<string> ControlHandler(string request, CancellationToken cancellationToken);

/// <summary>
/// Runs the compatibility scenarios in tests/compat against any ZooKeeper-compatible servers, given
/// only their address list, and returns each scenario's normalized transcript. The same runner
/// serves the reference ZooKeeper and Colony, so their transcripts can be compared line for line.
/// </summary>
public sealed class ScenarioRunner
{
    /// <summary>Debian's Python, which has kazoo; other interpreters on PATH may not.</summary>
    public const string Python = "/usr/bin/python3";

    /// <summary>The kazoo scenarios that need nothing but a server (the reconnect one also needs a kill).</summary>
    public static IReadOnlyList<string> KazooScenarios { get; } =
        ["crud", "errors", "watches", "transactions", "sequential", "ephemerals", "session_expiry", "acl", "random_ops", "recipes"];

    /// <summary>The kazoo scenario that asks for the server it is connected to be killed.</summary>
    public const string ReconnectScenario = "reconnect";

    private readonly TimeSpan _timeout;

    /// <param name="hosts">The servers' client addresses, "host:port,host:port,...".</param>
    /// <param name="timeout">How long one scenario may run before it is killed and reported.</param>
    public ScenarioRunner(string hosts, TimeSpan? timeout = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(hosts);
        Hosts = hosts;
        _timeout = timeout ?? TimeSpan.FromSeconds(60);
    }

    public string Hosts { get; }

    /// <summary>Runs tests/compat/kazoo/<paramref name="scenario"/>.py; its golden is "kazoo-<paramref name="scenario"/>".</summary>
    public Task<ScenarioResult> RunKazooAsync(string scenario, ControlHandler? onControl = null, CancellationToken cancellationToken = default)
    {
        var script = Path.Combine(CompatPaths.Kazoo, scenario + ".py");
        if (!File.Exists(script))
        {
            throw new ArgumentException($"no kazoo scenario {script}", nameof(scenario));
        }
        return RunAsync($"kazoo-{scenario.Replace('_', '-')}", [script, "--hosts", Hosts], onControl, cancellationToken);
    }

    /// <summary>
    /// Runs tests/compat/recipes/<paramref name="script"/>.py, a kazoo recipe scenario driven by a
    /// test through its control lines; it has no golden, the test checks its transcript.
    /// </summary>
    public Task<ScenarioResult> RunRecipeAsync(string script, IReadOnlyList<string> arguments, ControlHandler? onControl = null, CancellationToken cancellationToken = default)
    {
        var path = Path.Combine(CompatPaths.Recipes, script + ".py");
        if (!File.Exists(path))
        {
            throw new ArgumentException($"no recipe scenario {path}", nameof(script));
        }
        return RunAsync($"recipe-{script}", [path, "--hosts", Hosts, .. arguments], onControl, cancellationToken);
    }

    /// <summary>Runs the scripted session of Apache's Java CLI (zkCli.sh); its golden is "zkcli".</summary>
    public Task<ScenarioResult> RunZkCliAsync(CancellationToken cancellationToken = default) =>
        RunAsync("zkcli", [Path.Combine(CompatPaths.Cli, "zkcli.py"), "--hosts", Hosts], null, cancellationToken);

    /// <summary>Runs the scripted commands of Apache's C CLI (cli_mt); its golden is "cclient".</summary>
    public Task<ScenarioResult> RunCClientAsync(CancellationToken cancellationToken = default) =>
        RunAsync("cclient", [Path.Combine(CompatPaths.Cli, "cclient.py"), "--hosts", Hosts], null, cancellationToken);

    private async Task<ScenarioResult> RunAsync(string name, IReadOnlyList<string> arguments, ControlHandler? onControl, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        // Scenarios must not leave bytecode caches in the source tree.
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        start.Environment["PYTHONIOENCODING"] = "utf-8";

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Python}");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        var transcript = new StringBuilder();
        var errors = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line.StartsWith('@'))
                {
                    var request = line[1..];
                    var answer = onControl is null
                        ? throw new InvalidOperationException($"scenario {name} asked \"{request}\" and no handler answers it")
                        : await onControl(request, timeout.Token);
                    await process.StandardInput.WriteLineAsync(answer.AsMemory(), timeout.Token);
                    await process.StandardInput.FlushAsync(timeout.Token);
                    continue;
                }
                transcript.Append(line).Append('\n');
            }
            await process.WaitForExitAsync(timeout.Token);
            return new ScenarioResult(name, process.ExitCode, transcript.ToString(), await errors, clock.Elapsed);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"scenario {name} ran longer than {_timeout.TotalSeconds:0} s; transcript so far:\n{transcript}");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
            }
        }
    }
}
