using System.Diagnostics;
using System.Text;
using Colony.Client;
using Colony.FaultTests.Bed;
using Colony.FaultTests.Nemeses;
using Colony.FaultTests.Workloads;
using Colony.Testing.Linearizability;

namespace Colony.FaultTests.Campaigns;

/// <summary>
/// A Jepsen-style run: a bed of nodes, a seeded schedule of faults applied while clients run the
/// register workload and, beside it, the locks, ephemerals, compute and storage workloads; a complete heal,
/// final reads through every node, then every workload's checkers.
/// </summary>
public static class Campaign
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    public static async Task<CampaignResult> RunAsync(CampaignOptions options, Action<string> log)
    {
        var schedule = NemesisSchedule.Generate(options.Seed, new ScheduleOptions
        {
            NodeCount = options.Nodes,
            Length = options.Length,
            Kinds = options.Kinds,
        });
        log($"seed {options.Seed}: {schedule.Count} faults over {options.Length.TotalSeconds:0} s");
        await using var bed = TestBed.Create(new BedOptions
        {
            Nodes = options.Nodes,
            ClientHosts = options.ClientHosts,
            Coordination = CampaignOptions.Coordination,
            FileSystem = CampaignOptions.FileSystem,
            DiskMiB = options.Kinds.Contains(NemesisKind.FullDisk) ? CampaignOptions.DiskMiB : null,
            Compute = CampaignOptions.ComputeSection,
            FaultHooks = options.Kinds.Any(NemesisKinds.NeedsFaultHooks),
        });
        bool netem = bed.NetemAvailable;
        await bed.WaitForLeaderAsync(Bound);
        var workload = new RegisterWorkload(options.Workload with { Seed = options.Seed });
        await workload.PrepareAsync(bed.ConnectString);
        var others = options.Workloads.Order().Select(kind => Create(kind, options)).ToList();
        foreach (var other in others)
        {
            await other.PrepareAsync(bed);
        }

        var nemesis = new NemesisRunner(bed);
        using var stop = new CancellationTokenSource();
        double faultsFrom = workload.Now / (double)Stopwatch.Frequency;
        var clients = Task.WhenAll([workload.RunAsync(bed.ConnectString, bed.ClientHosts, stop.Token), .. others.Select(o => o.RunAsync(bed, stop.Token))]);
        try
        {
            await nemesis.RunAsync(schedule, CancellationToken.None);
            // Whatever the schedule leaves of the length runs healed.
            var rest = options.Length - (schedule.Count == 0 ? TimeSpan.Zero : schedule[^1].End);
            if (rest > TimeSpan.Zero)
            {
                await Task.Delay(rest); // the campaign's own length
            }
        }
        finally
        {
            await stop.CancelAsync();
            await clients;
        }
        log($"workload stopped: {workload.Counts}");
        var answers = workload.History();
        double gap = Availability.LongestGap(answers);
        var gaps = Availability.LongestGapPerHost(answers, workload.HostOfProcess);
        var hostGaps = bed.ClientHosts.Where(h => gaps.ContainsKey(h.Number))
            .Select(h => new ClientHostGap(h.Number, h.Beside, gaps[h.Number])).ToList();

        await bed.WaitForLeaderAsync(Bound);
        var finals = await FinalReadsAsync(bed, workload);
        var history = workload.History();
        var verdicts = new List<CheckerVerdict>();

        var linearizable = LinearizabilityChecker.Check(RegisterModel.Instance, history, new CheckBudget { MaxStepsPerPartition = 20_000_000 });
        verdicts.Add(new CheckerVerdict("linearizable register (read, write, cas)", linearizable.IsOk,
            linearizable.IsOk ? $"{history.Count} operations, {linearizable.Steps} search steps" : linearizable.Explanation));

        var (acknowledged, lost, lostDetail) = LostWrites(history, finals);
        verdicts.Add(new CheckerVerdict("no lost acknowledged write", lost == 0, lostDetail));

        var (readYourWrites, sessionSequential, sessionDetail) = SessionCheck.Check(workload.SessionObservations());
        verdicts.Add(new CheckerVerdict("read your writes (reads without sync, per session)", readYourWrites, sessionDetail));
        verdicts.Add(new CheckerVerdict("sequential consistency (reads without sync, per session)", sessionSequential, sessionDetail));

        var (sequentialValid, sequentialDetail) = SequentialCheck.Check(workload.SequentialCreates());
        verdicts.Add(new CheckerVerdict("sequential znodes: unique, in real-time order", sequentialValid, sequentialDetail));

        var disagreeing = finals.GroupBy(f => f.Path).Where(g => g.Select(f => f.Output).Distinct().Count() > 1).ToList();
        verdicts.Add(new CheckerVerdict("every node ends with the same znodes", disagreeing.Count == 0,
            disagreeing.Count == 0 ? $"{workload.Paths.Count()} znodes read through each of {options.Nodes} nodes"
                : string.Join("; ", disagreeing.Select(g => $"{g.Key}: {string.Join(", ", g.Select(f => $"node {f.Node} {f.Output}"))}"))));

        var results = new List<WorkloadResult>();
        foreach (var other in others)
        {
            var checkedWorkload = await other.CheckAsync(bed);
            log(checkedWorkload.Summary);
            results.Add(checkedWorkload);
            verdicts.AddRange(checkedWorkload.Verdicts);
        }

        string? kept = null;
        if ((verdicts.Any(v => !v.Valid) || options.KeepAlways) && options.KeepDirectory is { } keep)
        {
            kept = Path.Combine(keep, $"seed-{options.Seed}-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
            bed.KeepLogs(kept);
            await File.WriteAllLinesAsync(Path.Combine(kept, "history.txt"), history.Select(o => RegisterModel.Instance.Describe(o)));
            await File.WriteAllTextAsync(Path.Combine(kept, "linearizability.txt"), linearizable.Explanation);
        }
        var result = new CampaignResult
        {
            Seed = options.Seed,
            Schedule = schedule,
            Nemesis = nemesis.Log,
            Counts = workload.Counts,
            Acknowledged = acknowledged,
            LostWrites = lost,
            Verdicts = verdicts,
            NetemAvailable = netem,
            LongestGapMilliseconds = gap,
            HostGaps = hostGaps,
            Workloads = results,
            KeptIn = kept,
        };
        if (kept is not null)
        {
            await File.WriteAllTextAsync(Path.Combine(kept, "report.txt"), result.Report());
        }
        if (options.RunDirectory is { } run)
        {
            await KeepRunAsync(run, result, history, schedule, faultsFrom);
        }
        return result;
    }

    /// <summary>The run's history, report and timeline, side by side, whatever the verdict.</summary>
    private static async Task KeepRunAsync(string directory, CampaignResult result,
        IReadOnlyList<Operation<RegisterInput, RegisterOutput>> history, IReadOnlyList<NemesisStep> schedule, double faultsFrom)
    {
        Directory.CreateDirectory(directory);
        await File.WriteAllLinesAsync(Path.Combine(directory, "history.txt"), history.Select(o => RegisterModel.Instance.Describe(o)));
        await File.WriteAllTextAsync(Path.Combine(directory, "report.txt"), result.Report());
        var operations = history.Select(o => new TimedOperation(o.CallTime, o.IsPending ? null : o.ReturnTime)).ToList();
        var faults = schedule.Select(s => new TimedFault(faultsFrom + s.Start.TotalSeconds, faultsFrom + s.End.TotalSeconds, s.ToString()[(s.ToString().IndexOf(':', StringComparison.Ordinal) + 2)..])).ToList();
        await File.WriteAllTextAsync(Path.Combine(directory, "timeline.svg"),
            Timeline.Svg($"seed {result.Seed}: register operations under {string.Join(", ", schedule.Select(s => s.Kind).Distinct())}", operations, faults));
    }

    private static IFaultWorkload Create(WorkloadKind kind, CampaignOptions options) => kind switch
    {
        WorkloadKind.Locks => new LockWorkload(options.Locks),
        WorkloadKind.Ephemerals => new EphemeralWorkload(options.Ephemerals with { Seed = options.Seed }),
        // A full disk fails task attempts on its node, which count against the job: not a fault the design claims to survive.
        WorkloadKind.Compute => new ComputeWorkload(options.Compute with { Seed = options.Seed, FailuresExcused = options.Kinds.Contains(NemesisKind.FullDisk) }),
        _ => new StorageWorkload(options.Storage with { Seed = options.Seed }),
    };

    private sealed record FinalRead(int Node, string Path, RegisterOutput Output);

    /// <summary>After the heal, each znode read (sync, then getData) through every node; each read joins the history.</summary>
    private static async Task<List<FinalRead>> FinalReadsAsync(TestBed bed, RegisterWorkload workload)
    {
        var reads = new List<FinalRead>();
        foreach (var node in bed.Nodes)
        {
            var clock = Stopwatch.StartNew();
            while (true)
            {
                try
                {
                    await using var client = await ZooKeeperClient.ConnectAsync(bed.ZooKeeperAddress(node),
                        new ZooKeeperClientOptions { ConnectTimeout = TimeSpan.FromSeconds(5) });
                    var batch = new List<FinalRead>();
                    foreach (var path in workload.Paths)
                    {
                        long call = workload.Now;
                        await client.SyncAsync(path).WaitAsync(TimeSpan.FromSeconds(5));
                        var (data, stat) = await client.GetDataAsync(path).WaitAsync(TimeSpan.FromSeconds(5));
                        var output = new RegisterOutput(true, Encoding.UTF8.GetString(data), stat.Version);
                        workload.RecordFinalRead(path, output, call, workload.Now);
                        batch.Add(new FinalRead(node, path, output));
                    }
                    reads.AddRange(batch);
                    break;
                }
                catch (Exception e) when (e is ZooKeeperException or TimeoutException or IOException && clock.Elapsed < Bound)
                {
                    await Task.Delay(200); // the node may still be catching up after its restart
                }
            }
        }
        return reads;
    }

    /// <summary>
    /// Every acknowledged setData got a version, and versions of one znode are never reused: two
    /// acknowledgements of one version, or one beyond the version the znode ends with, mean a write
    /// the cluster acknowledged and then lost.
    /// </summary>
    private static (long Acknowledged, int Lost, string Detail) LostWrites(
        IReadOnlyList<Operation<RegisterInput, RegisterOutput>> history, IReadOnlyList<FinalRead> finals)
    {
        var acked = history.Where(o => !o.IsPending && o.Input.Kind != RegisterOpKind.Read && o.Output.Ok).ToList();
        var problems = new List<string>();
        int lost = 0;
        foreach (var byKey in acked.GroupBy(o => o.Input.Key))
        {
            int finalVersion = finals.Where(f => f.Path == byKey.Key).Select(f => f.Output.Version).DefaultIfEmpty(int.MaxValue).Min();
            foreach (var byVersion in byKey.GroupBy(o => o.Output.Version))
            {
                if (byVersion.Count() > 1)
                {
                    lost += byVersion.Count() - 1;
                    problems.Add($"{byKey.Key} v{byVersion.Key} acknowledged to {string.Join(" and ", byVersion.Select(o => o.Input.Value))}");
                }
                if (byVersion.Key > finalVersion)
                {
                    lost += byVersion.Count();
                    problems.Add($"{byKey.Key} v{byVersion.Key} acknowledged, but the znode ends at v{finalVersion}");
                }
            }
        }
        return (acked.Count, lost, lost == 0 ? $"{acked.Count} acknowledged writes, all kept" : string.Join("; ", problems.Take(10)));
    }
}
