using System.Diagnostics;
using System.Globalization;
using Colony.Consensus;
using Colony.Simulation;

return SimulationCommand.Run(args, Console.Out);

/// <summary>
/// The command line: <c>--seeds N [--start S]</c> runs a range of seeds, <c>--seed X [--trace]</c>
/// replays one; <c>--bug NAME</c> injects a bug (and tilts the swarm toward it, unless <c>--untilted</c>), <c>--local-reads</c> makes
/// the simulated servers skip the read index (a harness bug only linearizability can see); <c>--workers W</c>
/// sets the parallelism. Each failing seed prints one line with its replay command; the last line
/// is <c>simulated N seeds: V violations</c>, and the exit code is non-zero on any violation.
/// </summary>
internal static class SimulationCommand
{
    public const string ReplayCommand = "dotnet run -c Release --project tests/Colony.Simulation --";

    private const string Usage =
        "usage: --seeds N [--start S] | --seed X [--trace]; options: [--bug NAME] [--untilted] [--local-reads] [--divergent-tree] [--workers W] [--checker-steps N] [--verbose]";

    public static int Run(string[] args, TextWriter output)
    {
        try
        {
            return Execute(args, output);
        }
        catch (Exception exception) when (exception is FormatException or ArgumentException or OverflowException)
        {
            output.WriteLine($"{exception.Message}; {Usage}");
            return 2;
        }
    }

    private static int Execute(string[] args, TextWriter output)
    {
        ulong start = 0;
        int count = 100;
        ulong? single = null;
        bool trace = false;
        bool verbose = false;
        int workers = Environment.ProcessorCount;
        var bugs = InjectedBugs.None;
        bool tilt = true;
        bool localReads = false;
        bool divergentTree = false;
        long checkerSteps = Colony.Simulation.Checkers.LinearizabilityCheck.DefaultStepsPerKey;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--seeds":
                    count = int.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--start":
                    start = ulong.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--seed":
                    single = ulong.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--trace":
                    trace = true;
                    break;
                case "--verbose":
                    verbose = true;
                    break;
                case "--workers":
                    workers = int.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--checker-steps":
                    checkerSteps = long.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--untilted":
                    tilt = false;
                    break;
                case "--local-reads":
                    localReads = true;
                    break;
                case "--divergent-tree":
                    divergentTree = true;
                    break;
                case "--bug":
                    bugs |= Enum.Parse<InjectedBugs>(Value(), ignoreCase: true);
                    break;
                default:
                    throw new ArgumentException($"unknown argument {args[i]}");
            }
        }
        string bugArguments = string.Concat(Enum.GetValues<InjectedBugs>()
            .Where(bug => bug != InjectedBugs.None && bugs.HasFlag(bug))
            .Select(bug => $" --bug {bug}")) + (tilt ? "" : " --untilted") + (localReads ? " --local-reads" : "") + (divergentTree ? " --divergent-tree" : "");
        if (single is { } seed)
        {
            return Replay(new SimulationConfig(seed) { Bugs = bugs, Tilt = tilt, LocalReads = localReads, DivergentTree = divergentTree, CheckerStepsPerKey = checkerSteps, TraceOutput = trace ? output : null }, bugArguments, output);
        }

        var clock = Stopwatch.StartNew();
        int violations = 0;
        int unknown = 0;
        SeedRunner.Run(start, count, workers, seed => new SimulationConfig(seed) { Bugs = bugs, Tilt = tilt, LocalReads = localReads, DivergentTree = divergentTree, CheckerStepsPerKey = checkerSteps }, result =>
        {
            if (result.Stats.LinearizabilityUnknown)
            {
                unknown++;
            }
            if (result.Violation is { } violation)
            {
                violations++;
                output.WriteLine($"seed {result.Seed}: {violation.ToString().ReplaceLineEndings(" ")} -- replay: {ReplayCommand} --seed {result.Seed}{bugArguments}");
            }
            else if (verbose)
            {
                output.WriteLine($"seed {result.Seed}: ok {Summarize(result)}");
            }
        });
        double seconds = clock.Elapsed.TotalSeconds;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{count / seconds:0.0} seeds/s on {workers} workers; linearizability undecided (checker budget) in {unknown} seeds"));
        output.WriteLine($"simulated {count} seeds: {violations} violations");
        return violations == 0 ? 0 : 1;
    }

    private static int Replay(SimulationConfig config, string bugArguments, TextWriter output)
    {
        ulong seed = config.Seed;
        var result = Simulator.Run(config);
        output.WriteLine($"seed {seed}: {result.Options.Describe()}");
        output.WriteLine($"seed {seed}: {Summarize(result)}");
        if (result.Violation is { } violation)
        {
            if (violation.Report is { } report)
            {
                output.WriteLine(report);
            }
            output.WriteLine($"seed {seed}: {violation.ToString().ReplaceLineEndings(" ")} -- replay: {ReplayCommand} --seed {seed}{bugArguments}");
        }
        output.WriteLine($"simulated 1 seeds: {(result.Violation is null ? 0 : 1)} violations");
        return result.Violation is null ? 0 : 1;
    }

    private static string Summarize(SimulationResult result)
    {
        var stats = result.Stats;
        return string.Create(CultureInfo.InvariantCulture,
            $"trace {result.TraceHash:x16} events={result.Events} virtual={result.VirtualMicros / 1000}ms ops ok={stats.OperationsOk} " +
            $"pending={stats.OperationsPending} failed={stats.OperationsFailed} settled={stats.OperationsSettled} zk ok={stats.CoordinationCommitted} unknown={stats.CoordinationUnknown} znodes={stats.ZNodes} moved={stats.SessionsMoved} fenced={stats.FencedCommands} terms={stats.Terms} leaders={stats.LeadersElected} installs={stats.SnapshotsRestored} committed={stats.Committed} " +
            $"crashes={stats.Crashes} partitions={stats.Partitions} membership={stats.MembershipChanges} transfers={stats.Transfers} " +
            $"messages={stats.MessagesSent} durable notices={stats.DurableNotices} commits={stats.DurableCommits} ahead={stats.FollowerCommitsAhead} forwarded ok={stats.ForwardedOk} recovery={stats.RecoveryMicros / 1000}ms checker={stats.LinearizabilitySteps}{(stats.LinearizabilityUnknown ? " linearizability=unknown" : "")}");
    }
}
