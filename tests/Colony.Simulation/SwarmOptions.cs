using Colony.Consensus;
using Colony.Core;
using Colony.Simulation.Scheduling;

namespace Colony.Simulation;

/// <summary>How the network is cut during a partition episode.</summary>
internal enum PartitionMode
{
    /// <summary>One random node loses every link, both ways.</summary>
    IsolateOne,

    /// <summary>The current leader loses every link, both ways.</summary>
    IsolateLeader,

    /// <summary>The nodes split into two random halves.</summary>
    SplitHalves,

    /// <summary>One node can send but not receive, or receive but not send.</summary>
    OneWay,

    /// <summary>Each directed link is cut independently.</summary>
    RandomLinks,
}

/// <summary>Which store backs the nodes' Raft logs.</summary>
internal enum StorageKind
{
    /// <summary>The production write-ahead log, on a simulated file system.</summary>
    Wal,

    /// <summary>The simulator's model disk (faster; also checks the store contract).</summary>
    Memory,
}

/// <summary>
/// Everything one run varies, drawn from its seed: swarm testing, so each seed gets its own mix of
/// cluster shape, timing, faults and workload, and rare combinations come up across many seeds.
/// </summary>
internal sealed record SwarmOptions
{
    // Cluster.
    public required int Voters { get; init; }
    public required int SpareNodes { get; init; }
    public required bool StartWithLearner { get; init; }
    public required StorageKind Storage { get; init; }

    // Raft.
    public required int ElectionTicks { get; init; }
    public required int HeartbeatTicks { get; init; }
    public required bool PreVote { get; init; }
    public required bool CheckQuorum { get; init; }
    public required ReadMode ReadMode { get; init; }
    public required double LeaseClockDrift { get; init; }
    public required ulong SnapshotEveryEntries { get; init; }
    public required int SnapshotChunkBytes { get; init; }
    public required int RetainedEntriesAfterCompaction { get; init; }
    public required int MaxAppendBytes { get; init; }
    public required int MaxInflightAppends { get; init; }

    /// <summary>
    /// Appends of one entry, four in flight (overriding the two limits above): a follower catching up
    /// holds a leader's older entries, flushed, before it gets those of the leader's term, which is
    /// when a durable notice can find it. (One in flight is slower still: members then miss the
    /// liveness budget.)
    /// </summary>
    public required bool TrickleAppends { get; init; }
    public required long MaxUncommittedBytes { get; init; }
    public required long MaxApplyBytes { get; init; }

    // Time: a node's tick period is TickMicros scaled by its clock rate.
    public required long TickMicros { get; init; }
    public required double ClockSkew { get; init; }

    // Network.
    public required long MinDelayMicros { get; init; }
    public required long MaxDelayMicros { get; init; }
    public required double LossProbability { get; init; }
    public required double DuplicateProbability { get; init; }
    public required double ReorderProbability { get; init; }
    public required IReadOnlyList<PartitionMode> PartitionModes { get; init; }
    public required long MeanPartitionGapMicros { get; init; }
    public required long MeanPartitionMicros { get; init; }

    /// <summary>
    /// The chance that a node is cut off as soon as it takes office, before its first entries leave:
    /// leaders that leave tails of their own terms behind one after another (Figure 8 of the paper).
    /// </summary>
    public required double IsolateNewLeaderProbability { get; init; }

    // Disk.
    public required long MinSyncMicros { get; init; }
    public required long MaxSyncMicros { get; init; }
    public required double VerySlowSyncProbability { get; init; }
    public required bool TornWrites { get; init; }
    public required long WalSegmentBytes { get; init; }

    // Crashes: none if the mean gap is zero.
    public required long MeanCrashGapMicros { get; init; }
    public required long MinDownMicros { get; init; }
    public required long MaxDownMicros { get; init; }
    public required int MaxDown { get; init; }
    public required double CrashLeaderProbability { get; init; }

    // Operator actions: none if the mean gap is zero.
    public required long MeanMembershipGapMicros { get; init; }
    public required long MeanTransferGapMicros { get; init; }

    // Workload.
    public required int Clients { get; init; }
    public required int Keys { get; init; }
    public required double ReadFraction { get; init; }
    public required double DeleteFraction { get; init; }
    public required long MaxThinkMicros { get; init; }
    public required long ClientTimeoutMicros { get; init; }
    public required int ValuePaddingBytes { get; init; }

    /// <summary>The share of puts a client sends through a random node, which forwards them to its leader.</summary>
    public required double ForwardFraction { get; init; }

    // Phases.
    public required long FaultPhaseMicros { get; init; }
    public required long LivenessBudgetMicros { get; init; }

    // Scenarios.

    /// <summary>The seed runs <see cref="WithLeaderChurn"/>'s scenario: see <see cref="InEffect"/>.</summary>
    public required bool LeaderChurn { get; init; }

    // Injected bugs (tests only).
    public InjectedBugs RaftBugs { get; init; }
    public InjectedBugs ReplicaBugs { get; init; }

    public int Nodes => Voters + SpareNodes;

    /// <summary>The options the simulator draws for <paramref name="seed"/> (from the seed's first forked stream).</summary>
    public static SwarmOptions ForSeed(ulong seed) => Generate(new SeededRandom(seed).Fork());

    /// <summary>Draws the options of one seed.</summary>
    public static SwarmOptions Generate(IRandomSource random)
    {
        int voters = random.Next(3) == 0 ? 5 : 3;
        bool membership = random.Next(2) == 0;
        bool learner = random.Next(4) == 0;
        int spares = membership || learner ? 1 + random.Next(2) : 0;
        int electionTicks = random.Next(8, 21);
        long minDelay = Time.Ms(0.1 + 2 * random.NextDouble());
        long maxDelay = minDelay + Time.Ms(random.Next(4) == 0 ? random.Next(20, 60) : random.Next(1, 20));
        long minSync = Time.Ms(0.05 + random.NextDouble());
        var modes = Enum.GetValues<PartitionMode>().Where(_ => random.Next(2) == 0).ToArray();
        bool partitions = modes.Length > 0 && random.Next(10) < 7;
        bool crashes = random.Next(10) < 7;
        int faultTolerance = (voters - 1) / 2;
        bool checkQuorum = random.Next(5) != 0;
        double skew = random.Next(5) < 3 ? 0.1 * random.NextDouble() : 0;
        return new SwarmOptions
        {
            Voters = voters,
            SpareNodes = spares,
            StartWithLearner = learner,
            Storage = random.Next(4) == 0 ? StorageKind.Memory : StorageKind.Wal,
            ElectionTicks = electionTicks,
            HeartbeatTicks = random.Next(1, 4),
            PreVote = random.Next(5) != 0,
            CheckQuorum = checkQuorum,
            ReadMode = checkQuorum && random.Next(3) == 0 ? ReadMode.Lease : ReadMode.Safe,
            // Lease reads are sound only if the drift allowance covers the fastest clock against the slowest.
            LeaseClockDrift = (1 + skew) / (1 - skew) - 1 + 0.01,
            SnapshotEveryEntries = (ulong)random.Next(20, 201),
            SnapshotChunkBytes = random.Next(64, 513),
            MaxAppendBytes = random.Next(2) == 0 ? 1 << 20 : random.Next(128, 4097),
            MaxInflightAppends = random.Next(2) == 0 ? 256 : random.Next(1, 17),
            MaxUncommittedBytes = random.Next(3) == 0 ? random.Next(4 << 10, 64 << 10) : 64L << 20,
            MaxApplyBytes = random.Next(3) == 0 ? random.Next(256, 4097) : 8L << 20,
            TickMicros = Time.Ms(10),
            ClockSkew = skew,
            MinDelayMicros = minDelay,
            MaxDelayMicros = maxDelay,
            LossProbability = random.Next(3) == 0 ? 0 : 0.2 * random.NextDouble() * random.NextDouble(),
            DuplicateProbability = random.Next(2) == 0 ? 0 : 0.05 * random.NextDouble(),
            // Mostly connection-like links with some reordering; now and then a datagram-like network.
            ReorderProbability = random.Next(2) == 0 ? 0 : random.Next(10) == 0 ? 1 : 0.2 * random.NextDouble(),
            PartitionModes = partitions ? modes : [],
            MeanPartitionGapMicros = Time.Ms(random.Next(100, 2000)),
            MeanPartitionMicros = Time.Ms(random.Next(100, 1500)),
            MinSyncMicros = minSync,
            MaxSyncMicros = minSync + Time.Ms(random.Next(4) == 0 ? random.Next(10, 40) : 0.1 + 5 * random.NextDouble()),
            VerySlowSyncProbability = random.Next(3) == 0 ? 0.02 * random.NextDouble() : 0,
            TornWrites = random.Next(2) == 0,
            WalSegmentBytes = random.Next(2) == 0 ? random.Next(1 << 10, 16 << 10) : random.Next(16 << 10, 1 << 20),
            MeanCrashGapMicros = crashes ? Time.Ms(random.Next(200, 2500)) : 0,
            MinDownMicros = Time.Ms(random.Next(20, 200)),
            MaxDownMicros = Time.Ms(random.Next(200, 1500)),
            MaxDown = random.Next(4) == 0 ? faultTolerance + 1 : Math.Max(1, faultTolerance - random.Next(2)),
            CrashLeaderProbability = 0.4 * random.NextDouble(),
            MeanMembershipGapMicros = membership ? Time.Ms(random.Next(150, 1200)) : 0,
            MeanTransferGapMicros = random.Next(10) < 3 ? Time.Ms(random.Next(300, 2000)) : 0,
            Clients = random.Next(2, 9),
            Keys = random.Next(4) == 0 ? random.Next(8, 33) : random.Next(1, 5),
            ReadFraction = 0.3 + 0.4 * random.NextDouble(),
            DeleteFraction = random.Next(2) == 0 ? 0 : 0.2 * random.NextDouble(),
            MaxThinkMicros = Time.Ms(random.Next(1, 50)),
            ClientTimeoutMicros = Time.Ms(random.Next(300, 2000)),
            ValuePaddingBytes = random.Next(3) == 0 ? random.Next(16, 256) : 0,
            FaultPhaseMicros = Time.Ms(random.Next(8) == 0 ? 120_000 : random.Next(10_000, 60_000)),
            LivenessBudgetMicros = Time.Ms(8000),
            // Drawn last so that adding it kept every other option of every seed as it was.
            // Mostly small, so that followers still need snapshot transfers often.
            RetainedEntriesAfterCompaction = random.Next(3) switch { 0 => 0, 1 => random.Next(1, 40), _ => random.Next(40, 400) },
            // Drawn after it, for the same reason. Writes through followers are how they come to
            // commit from durable notices and answer clients before the leader knows.
            ForwardFraction = random.Next(3) == 0 ? 0 : 0.2 + 0.8 * random.NextDouble(),
            IsolateNewLeaderProbability = random.Next(3) == 0 ? 0.2 + 0.6 * random.NextDouble() : 0,
            TrickleAppends = random.Next(5) == 0,
            LeaderChurn = random.Next(10) == 0,
        };
    }

    /// <summary>
    /// The options a run uses: as drawn, or overridden by the leader-churn scenario if the seed drew
    /// it. Applied last (after tilts and adjustments), so that turning the flag off gives the drawn
    /// options back.
    /// </summary>
    public SwarmOptions InEffect() => LeaderChurn ? WithLeaderChurn() : this;

    /// <summary>
    /// Figure 8 of the paper, for the follower's commit from a durable notice: leaders cut off one
    /// after another leave uncommitted tails of their terms; one of them wins again and sends its old
    /// tail an entry at a time, so that a notice can find a follower holding that tail, flushed, and
    /// nothing of the leader's term yet. Three voters, so that notices are sent. Little reordering and
    /// short delays: a follower rewriting a long divergent tail an entry at a time, on a network that
    /// reorders much or is slow, misses the liveness budget.
    /// </summary>
    public SwarmOptions WithLeaderChurn() => this with
    {
        LeaderChurn = true,
        Voters = 3,
        SpareNodes = 0,
        StartWithLearner = false,
        MeanMembershipGapMicros = 0,
        TrickleAppends = true,
        ReorderProbability = 0.1,
        MaxDelayMicros = Math.Min(MaxDelayMicros, MinDelayMicros + Time.Ms(10)),
        IsolateNewLeaderProbability = 0.6,
        PartitionModes = [PartitionMode.IsolateLeader],
        MeanPartitionGapMicros = Time.Ms(40),
        MeanPartitionMicros = Time.Ms(300),
    };

    /// <summary>These options with <paramref name="bugs"/> injected, each where it lives (core or driver), and nothing else changed.</summary>
    public SwarmOptions WithBugs(InjectedBugs bugs) => this with
    {
        RaftBugs = bugs & ~InjectedBugs.AckBeforePersist,
        ReplicaBugs = bugs & InjectedBugs.AckBeforePersist,
    };

    /// <summary>
    /// Three voters on slow disks, crashing mid-flush (the leader with the given probability) and
    /// coming back fast, a majority sometimes down together: what unsynced state that was vouched
    /// for needs in order to be lost.
    /// </summary>
    private SwarmOptions WithCrashesMidFlush(double crashLeaderProbability) => this with
    {
        Voters = 3,
        SpareNodes = 0,
        StartWithLearner = false,
        MinSyncMicros = Time.Ms(5),
        MaxSyncMicros = Time.Ms(40),
        MeanCrashGapMicros = Time.Ms(100),
        MinDownMicros = Time.Ms(10),
        MaxDownMicros = Time.Ms(100),
        MaxDown = 2,
        CrashLeaderProbability = crashLeaderProbability,
        PartitionModes = [],
        MeanMembershipGapMicros = 0,
    };

    /// <summary>
    /// Options tilted toward the faults that expose <paramref name="bugs"/>, so that tests find each
    /// injected bug in few seeds. The checkers stay the same.
    /// </summary>
    public SwarmOptions Emphasize(InjectedBugs bugs)
    {
        // A tilt is a scenario of its own.
        var options = WithBugs(bugs) with { LeaderChurn = false };
        if (bugs.HasFlag(InjectedBugs.DoubleVote))
        {
            // Split votes: candidates campaigning at once, in the same term.
            options = options with
            {
                PreVote = false,
                CheckQuorum = false,
                ReadMode = ReadMode.Safe,
                ElectionTicks = 8,
                MinDelayMicros = Time.Ms(5),
                MaxDelayMicros = Time.Ms(40),
                ClockSkew = 0,
                PartitionModes = [PartitionMode.IsolateLeader, PartitionMode.RandomLinks],
                MeanPartitionGapMicros = Time.Ms(200),
                MeanPartitionMicros = Time.Ms(300),
            };
        }
        if (bugs.HasFlag(InjectedBugs.CommitWithoutMajority))
        {
            // A leader that commits alone, then is cut off while the others elect a new one.
            options = options with
            {
                PartitionModes = [PartitionMode.IsolateLeader],
                MeanPartitionGapMicros = Time.Ms(300),
                MeanPartitionMicros = Time.Ms(800),
                ReadFraction = 0.5,
            };
        }
        if (bugs.HasFlag(InjectedBugs.AckBeforePersist))
        {
            // Acknowledged but unsynced entries and votes lost in crashes.
            options = options.WithCrashesMidFlush(crashLeaderProbability: 0.3);
        }
        if (bugs.HasFlag(InjectedBugs.DurableNoticeBeforeFlush))
        {
            // A notice that outruns the leader's flush: the leader crashing mid-flush, so that the
            // entry it vouched for is lost, while followers answer the puts they committed.
            options = options.WithCrashesMidFlush(crashLeaderProbability: 0.6) with { ForwardFraction = 0.8 };
        }
        if (bugs.HasFlag(InjectedBugs.DurableCommitAnyTerm) || bugs.HasFlag(InjectedBugs.DurableCommitUnmatched))
        {
            options = options with { LeaderChurn = true };
        }
        if (bugs.HasFlag(InjectedBugs.DurableReadPointIgnored))
        {
            // A follower answers a forwarded put before the leader commits it; a read reaches the
            // leader first: slow, uneven links, lease reads, little think time, one key.
            options = options with
            {
                Voters = 3,
                SpareNodes = 0,
                StartWithLearner = false,
                CheckQuorum = true,
                ReadMode = ReadMode.Lease,
                MeanMembershipGapMicros = 0,
                MaxDelayMicros = options.MinDelayMicros + Time.Ms(30),
                ForwardFraction = 0.8,
                Keys = 1,
                MaxThinkMicros = Time.Ms(2),
            };
        }
        if (bugs.HasFlag(InjectedBugs.DurableNoticeAnyQuorum))
        {
            // Five voters, where the leader and one follower are not a quorum: the pair is cut off
            // with the entry the follower committed, and the other three elect a leader without it.
            options = options with
            {
                Voters = 5,
                PartitionModes = [PartitionMode.SplitHalves, PartitionMode.IsolateLeader],
                MeanPartitionGapMicros = Time.Ms(200),
                MeanPartitionMicros = Time.Ms(400),
                ForwardFraction = 0.8,
            };
        }
        return options;
    }

    /// <summary>One line naming the options that matter most when reading a failure.</summary>
    public string Describe() =>
        $"voters={Voters} spares={SpareNodes} storage={Storage} election={ElectionTicks} heartbeat={HeartbeatTicks} " +
        $"prevote={PreVote} checkquorum={CheckQuorum} reads={ReadMode} drift={LeaseClockDrift:0.###} snapshotEvery={SnapshotEveryEntries} chunk={SnapshotChunkBytes} " +
        $"maxAppend={MaxAppendBytes} inflight={MaxInflightAppends} trickle={TrickleAppends} churn={LeaderChurn} maxUncommitted={MaxUncommittedBytes} maxApply={MaxApplyBytes} " +
        $"delay={Time.Format(MinDelayMicros)}-{Time.Format(MaxDelayMicros)}ms loss={LossProbability:0.###} dup={DuplicateProbability:0.###} " +
        $"reorder={ReorderProbability:0.###} partitions=[{string.Join(',', PartitionModes)}] isolateNewLeader={IsolateNewLeaderProbability:0.##} " +
        $"sync={Time.Format(MinSyncMicros)}-{Time.Format(MaxSyncMicros)}ms slow={VerySlowSyncProbability:0.###} torn={TornWrites} segment={WalSegmentBytes} " +
        $"crashGap={Time.Format(MeanCrashGapMicros)}ms maxDown={MaxDown} membershipGap={Time.Format(MeanMembershipGapMicros)}ms " +
        $"transferGap={Time.Format(MeanTransferGapMicros)}ms skew={ClockSkew:0.###} clients={Clients} keys={Keys} forward={ForwardFraction:0.##} " +
        $"faultPhase={Time.Format(FaultPhaseMicros)}ms bugs={RaftBugs | ReplicaBugs}";
}
