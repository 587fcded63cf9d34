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
}
