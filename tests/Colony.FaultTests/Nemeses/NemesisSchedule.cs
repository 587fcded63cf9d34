namespace Colony.FaultTests.Nemeses;

/// <summary>What a schedule may contain and how its faults are spaced.</summary>
public sealed record ScheduleOptions
{
    public required int NodeCount { get; init; }

    /// <summary>How long the faults go on; the last heal ends by then.</summary>
    public required TimeSpan Length { get; init; }

    public IReadOnlyList<NemesisKind> Kinds { get; init; } = NemesisKinds.Standard;

    public TimeSpan MinFault { get; init; } = TimeSpan.FromSeconds(4);

    public TimeSpan MaxFault { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A pause lasts at least this long, so that it outlives the clients' sessions.</summary>
    public TimeSpan MinPause { get; init; } = TimeSpan.FromSeconds(6);

    /// <summary>Quiet time after each heal (and before the first fault), for the cluster to recover.</summary>
    public TimeSpan MinHealed { get; init; } = TimeSpan.FromSeconds(3);

    public TimeSpan MaxHealed { get; init; } = TimeSpan.FromSeconds(6);

    /// <summary>The fsync delay of a slow disk is drawn between these.</summary>
    public TimeSpan MinFsyncDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    public TimeSpan MaxFsyncDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How far a clock jump steps the leader's wall clock, forward or back, is drawn between these.</summary>
    public TimeSpan MinClockJump { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan MaxClockJump { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>The share of packets a lossy link drops, each way, is drawn between these (percent).</summary>
    public int MinLossPercent { get; init; } = 5;

    public int MaxLossPercent { get; init; } = 30;

    /// <summary>A slow link's bandwidth cap, each way, is drawn between these (kbit/s).</summary>
    public int MinRateKbit { get; init; } = 128;

    public int MaxRateKbit { get; init; } = 1024;

    /// <summary>How long a packet may queue behind a slow link's cap is drawn between these.</summary>
    public TimeSpan MinQueueLatency { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan MaxQueueLatency { get; init; } = TimeSpan.FromMilliseconds(400);
}

/// <summary>
/// A nemesis schedule from a seed: the same seed and options always give the same faults, so a run
/// can be replayed. Pure; the bed applies it. One fault at a time, each healed before the next.
/// </summary>
public static class NemesisSchedule
{
    public static IReadOnlyList<NemesisStep> Generate(int seed, ScheduleOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.NodeCount < 3)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.NodeCount, "a partition needs at least 3 nodes");
        }
        if (options.Kinds.Count == 0)
        {
            throw new ArgumentException("no nemesis kinds to choose from", nameof(options));
        }
        var random = new Random(seed);
        var nodes = Enumerable.Range(1, options.NodeCount).ToArray();
        int minority = (options.NodeCount - 1) / 2;
        // Degraded links may be on a majority: every quorum then has one, yet none is cut off.
        int half = (options.NodeCount + 1) / 2;
        var steps = new List<NemesisStep>();
        var at = Between(random, options.MinHealed, options.MaxHealed);
        while (true)
        {
            var kind = options.Kinds[random.Next(options.Kinds.Count)];
            var duration = Between(random, options.MinFault, options.MaxFault);
            if (kind == NemesisKind.Pause && duration < options.MinPause)
            {
                duration = options.MinPause;
            }
            if (at + duration > options.Length)
            {
                break;
            }
            var shuffled = Shuffle(random, nodes);
            (IReadOnlyList<int> targets, Cuts cuts) = kind switch
            {
                NemesisKind.IsolateLeader => ([], Cuts.None),
                NemesisKind.MajorityMinority => ([shuffled[0]], Cuts.Isolate(shuffled[0], options.NodeCount)),
                NemesisKind.Bridge => ([shuffled[shuffled.Length / 2]], Cuts.Bridged(shuffled, shuffled[shuffled.Length / 2])),
                NemesisKind.RandomHalves => (Sorted(shuffled.Take(shuffled.Length / 2)),
                    Cuts.Between(shuffled.Take(shuffled.Length / 2), shuffled.Skip(shuffled.Length / 2))),
                NemesisKind.Kill => (Sorted(shuffled.Take(1 + random.Next(minority))), Cuts.None),
                NemesisKind.Pause or NemesisKind.FullDisk => ([shuffled[0]], Cuts.None),
                NemesisKind.SlowDisk => (Sorted(shuffled.Take(1 + random.Next(minority))), Cuts.None),
                NemesisKind.ClockJump => ([], Cuts.None),
                NemesisKind.Lossy or NemesisKind.SlowNetwork => (Sorted(shuffled.Take(1 + random.Next(half))), Cuts.None),
                _ => throw new InvalidOperationException($"unknown nemesis {kind}"),
            };
            // Drawn only for the kinds that need it, so that older kinds' schedules stay as they were.
            var amount = kind switch
            {
                NemesisKind.SlowDisk => Between(random, options.MinFsyncDelay, options.MaxFsyncDelay),
                NemesisKind.ClockJump => Between(random, options.MinClockJump, options.MaxClockJump) * (random.Next(2) == 0 ? -1 : 1),
                _ => TimeSpan.Zero,
            };
            var link = kind switch
            {
                NemesisKind.Lossy => LinkFault.Loss(options.MinLossPercent + random.Next(options.MaxLossPercent - options.MinLossPercent + 1)),
                NemesisKind.SlowNetwork => LinkFault.Slow(options.MinRateKbit + random.Next(options.MaxRateKbit - options.MinRateKbit + 1),
                    Between(random, options.MinQueueLatency, options.MaxQueueLatency)),
                _ => null,
            };
            steps.Add(new NemesisStep(steps.Count + 1, kind, at, duration, targets, cuts, amount, link));
            at += duration + Between(random, options.MinHealed, options.MaxHealed);
        }
        return steps;
    }

    private static TimeSpan Between(Random random, TimeSpan min, TimeSpan max) =>
        min + TimeSpan.FromMilliseconds(random.Next((int)Math.Max(1, (max - min).TotalMilliseconds)));

    private static int[] Shuffle(Random random, int[] nodes)
    {
        var copy = (int[])nodes.Clone();
        random.Shuffle(copy);
        return copy;
    }

    private static int[] Sorted(IEnumerable<int> nodes) => [.. nodes.Order()];
}
