namespace Colony.Consensus;

/// <summary>Identifies a snapshot: the last entry it covers and the membership in force there.</summary>
public sealed record SnapshotMetadata(ulong Index, ulong Term, Membership Membership)
{
    public static readonly SnapshotMetadata Empty = new(0, 0, Membership.Empty);
}

/// <summary>A state-machine snapshot: its metadata and the serialized state.</summary>
public sealed record Snapshot(SnapshotMetadata Metadata, ReadOnlyMemory<byte> Data)
{
    public static readonly Snapshot Empty = new(SnapshotMetadata.Empty, ReadOnlyMemory<byte>.Empty);

    public bool IsEmpty => Metadata.Index == 0;
}
