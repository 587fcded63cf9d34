namespace Colony.FaultTests.Nemeses;

/// <summary>A fault the campaign can inject. Each has a heal that undoes it completely.</summary>
public enum NemesisKind
{
    /// <summary>The current leader loses every peer (it still reaches clients). Healed by dropping the rules.</summary>
    IsolateLeader,

    /// <summary>One node, chosen at random, cut off from the rest: a minority of one against a majority.</summary>
    MajorityMinority,

    /// <summary>Two halves that cannot talk, joined only through one bridge node that reaches both (A–B–C).</summary>
    Bridge,

    /// <summary>The nodes shuffled and split into halves of ⌊n/2⌋ and ⌈n/2⌉ that cannot talk.</summary>
    RandomHalves,

    /// <summary>kill -9 of a minority of nodes; the heal restarts them on the same data directory.</summary>
    Kill,

    /// <summary>SIGSTOP of one node for longer than the session timeout; the heal sends SIGCONT.</summary>
    Pause,

    /// <summary>
    /// One node's data directory (a size-limited tmpfs) filled to the last byte; the heal deletes the
    /// filler and restarts the node if the full disk stopped it. Not among <see cref="NemesisKinds.Standard"/>:
    /// it needs the bed's small disks, and adding it there would change what old seeds replay.
    /// </summary>
    FullDisk,

    /// <summary>
    /// One or two nodes' fsyncs (write-ahead log and block replicas) each delayed by 50–200 ms, through the nodes' test-only
    /// fault hooks; the heal sets the delay back to zero. Opt-in, like <see cref="FullDisk"/>.
    /// </summary>
    SlowDisk,

    /// <summary>
    /// The leader's wall clock stepped forward or back by 5–120 s, through its test-only fault hooks, as
    /// a bad NTP step would; the heal steps it back. Opt-in, like <see cref="FullDisk"/>.
    /// </summary>
    ClockJump,

    /// <summary>
    /// One to ⌈n/2⌉ nodes' links drop 5–30 % of packets each way (drawn from the seed): netem loss when
    /// the kernel has it, else nftables random drops at each end's ingress. The heal removes them and checks.
    /// </summary>
    Lossy,

    /// <summary>
    /// One to ⌈n/2⌉ nodes' links capped at 128–1024 kbit/s each way, a packet queueing up to 100–400 ms
    /// before it is dropped: a tbf bandwidth cap (netem delay, reordering and rate when the kernel has
    /// netem). The heal removes the qdiscs and checks.
    /// </summary>
    SlowNetwork,
}

/// <summary>Sets of nemesis kinds.</summary>
public static class NemesisKinds
{
    /// <summary>
    /// The kinds a campaign draws from unless told otherwise: partitions, kills, pauses, lossy and slow
    /// links. A seed printed before the network kinds joined replays with <see cref="Classic"/>.
    /// </summary>
    public static IReadOnlyList<NemesisKind> Standard { get; } =
    [
        NemesisKind.IsolateLeader, NemesisKind.MajorityMinority, NemesisKind.Bridge,
        NemesisKind.RandomHalves, NemesisKind.Kill, NemesisKind.Pause,
        NemesisKind.Lossy, NemesisKind.SlowNetwork,
    ];

    /// <summary>The six standard kinds before <see cref="NemesisKind.Lossy"/> and <see cref="NemesisKind.SlowNetwork"/> joined.</summary>
    public static IReadOnlyList<NemesisKind> Classic { get; } =
    [
        NemesisKind.IsolateLeader, NemesisKind.MajorityMinority, NemesisKind.Bridge,
        NemesisKind.RandomHalves, NemesisKind.Kill, NemesisKind.Pause,
    ];

    /// <summary>Whether <paramref name="kind"/> degrades links (loss, bandwidth, delay) rather than cutting them.</summary>
    public static bool ShapesLinks(NemesisKind kind) => kind is NemesisKind.Lossy or NemesisKind.SlowNetwork;

    /// <summary>Whether the bed's nodes must run with their test-only fault hooks for <paramref name="kind"/>.</summary>
    public static bool NeedsFaultHooks(NemesisKind kind) => kind is NemesisKind.SlowDisk or NemesisKind.ClockJump;
}
