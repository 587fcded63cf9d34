namespace Colony.FaultTests.Workloads;

/// <summary>How the register workload runs.</summary>
public sealed record RegisterWorkloadOptions
{
    public int Clients { get; init; } = 5;

    /// <summary>How many znodes the clients share; each is its own register.</summary>
    public int Keys { get; init; } = 4;

    public int Seed { get; init; }

    /// <summary>An operation not answered by then has an unknown outcome: it stays pending in the history.</summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(3);

    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>Each client's pause between operations, to keep the history checkable.</summary>
    public TimeSpan Pace { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// Test-only fault in the client, to show that the checker catches a broken system: once a client
    /// has written a znode, its reads of that znode return the first value it ever read there.
    /// </summary>
    public bool InjectStaleReads { get; init; }

    public string Root { get; init; } = "/register";
}
