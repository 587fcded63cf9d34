namespace Colony.Testing.Linearizability;

/// <summary>
/// One operation of a concurrent history: which client asked what, when it called, and what it saw
/// when it returned. Times are the caller's ticks; an operation took effect at one instant in its
/// interval [<see cref="CallTime"/>, <see cref="ReturnTime"/>], and two intervals that touch overlap.
/// </summary>
/// <remarks>
/// A <em>pending</em> operation is one whose outcome the client never saw (it timed out, or its node
/// crashed): it may have taken effect at any instant after its call, or never. Its return time is
/// <see cref="PendingReturnTime"/> and its <see cref="Output"/> means nothing.
/// </remarks>
public readonly record struct Operation<TInput, TOutput>
{
    public const long PendingReturnTime = long.MaxValue;

    public Operation(int clientId, TInput input, TOutput output, long callTime, long returnTime)
    {
        if (returnTime < callTime)
        {
            throw new ArgumentException($"operation of client {clientId} returns at {returnTime}, before its call at {callTime}");
        }
        ClientId = clientId;
        Input = input;
        Output = output;
        CallTime = callTime;
        ReturnTime = returnTime;
    }

    public int ClientId { get; }

    public TInput Input { get; }

    /// <summary>What the client saw; meaningless if <see cref="IsPending"/>.</summary>
    public TOutput Output { get; }

    public long CallTime { get; }

    public long ReturnTime { get; }

    public bool IsPending => ReturnTime == PendingReturnTime;

    /// <summary>
    /// An operation whose outcome is unknown: it may take effect at any time after <paramref name="callTime"/>,
    /// or never.
    /// </summary>
    public static Operation<TInput, TOutput> Pending(int clientId, TInput input, long callTime) =>
        new(clientId, input, default!, callTime, PendingReturnTime);

    public override string ToString() =>
        IsPending
            ? $"client {ClientId} [{CallTime}, pending]: {Input} -> ?"
            : $"client {ClientId} [{CallTime}, {ReturnTime}]: {Input} -> {Output}";
}
