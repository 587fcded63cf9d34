namespace Colony.FaultTests.Workloads;

/// <summary>Counts of a workload's operations by outcome.</summary>
public sealed class OperationCounts
{
    private long _ok;
    private long _failed;
    private long _indeterminate;

    /// <summary>Answered: reads, acknowledged writes, and cas that succeeded or were refused with BadVersion.</summary>
    public long Ok => Interlocked.Read(ref _ok);

    /// <summary>Certain to have had no effect: failed reads.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Writes whose outcome the client never learned (timeout, connection loss, expired session).</summary>
    public long Indeterminate => Interlocked.Read(ref _indeterminate);

    public long Attempted => Ok + Failed + Indeterminate;

    internal void AddOk() => Interlocked.Increment(ref _ok);

    internal void AddFailed() => Interlocked.Increment(ref _failed);

    internal void AddIndeterminate() => Interlocked.Increment(ref _indeterminate);

    public override string ToString() => $"{Attempted} attempted: {Ok} ok, {Failed} failed, {Indeterminate} indeterminate";
}
