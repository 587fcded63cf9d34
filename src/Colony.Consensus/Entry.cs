namespace Colony.Consensus;

/// <summary>What a log entry carries. The numeric values are persisted: never renumber them.</summary>
public enum EntryType : byte
{
    /// <summary>An application command batch, for the state machine.</summary>
    Normal = 1,

    /// <summary>A membership change: the payload is the full <see cref="Membership"/> that takes effect.</summary>
    Membership = 2,

    /// <summary>The empty entry a new leader appends to commit entries of earlier terms.</summary>
    Noop = 3,
}

/// <summary>One entry of the replicated log.</summary>
/// <remarks>The payload is shared, never copied: whoever hands an entry to the core must not mutate it later.</remarks>
public readonly struct Entry(ulong term, ulong index, EntryType type, ReadOnlyMemory<byte> data)
{
    public ulong Term { get; } = term;

    public ulong Index { get; } = index;

    public EntryType Type { get; } = type;

    public ReadOnlyMemory<byte> Data { get; } = data;

    /// <summary>Bytes this entry counts for in flow control and size limits.</summary>
    public int SizeBytes => Data.Length + 24;

    public bool ContentEquals(in Entry other) =>
        Term == other.Term && Index == other.Index && Type == other.Type && Data.Span.SequenceEqual(other.Data.Span);

    public override string ToString() => $"{Term}/{Index} {Type} ({Data.Length} B)";
}
