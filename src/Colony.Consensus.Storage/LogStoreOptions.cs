namespace Colony.Consensus.Storage;

/// <summary>Settings of a <see cref="SegmentedLogStore"/>, with their limits.</summary>
public sealed class LogStoreOptions
{
    /// <summary>The largest <see cref="MaxRecordBytes"/> may be; recovery accepts records up to this size whatever the setting.</summary>
    public const int MaxRecordBytesCeiling = 1 << 30;

    /// <summary>A segment is sealed and a new one started once this many bytes are in it. Default 64 MiB; 1 KiB to 4 GiB.</summary>
    public long SegmentBytes { get; init; } = 64L << 20;

    /// <summary>
    /// The largest record, framing included; an entry that would make a bigger one is refused. Default
    /// 16 MiB; 256 B to 1 GiB. A record larger than <see cref="SegmentBytes"/> gets a segment of its own.
    /// </summary>
    public int MaxRecordBytes { get; init; } = 16 << 20;

    /// <summary>
    /// Buffered bytes that are written out (without fsync) before <see cref="SegmentedLogStore.Sync"/>,
    /// which bounds the memory of a huge batch. Default 8 MiB; 4 KiB to 1 GiB.
    /// </summary>
    public int MaxBufferedBytes { get; init; } = 8 << 20;

    /// <summary>
    /// Zeros written ahead of the log's end in the active segment, this many bytes at a time (never past
    /// <see cref="SegmentBytes"/>), so that the fsync after an append only writes data: on ext4 or XFS an append
    /// that grows the file or fills a hole also commits the file system's journal, a second flush. Recovery reads
    /// zeros after the last record as the log's end. Default 4 MiB; 0 turns it off (a segment then ends where
    /// its last record does); at most 1 GiB.
    /// </summary>
    public int PreallocateBytes { get; init; } = 4 << 20;

    /// <summary>The largest snapshot data the store writes. Default 1 GiB; at most what one array holds.</summary>
    public long MaxSnapshotBytes { get; init; } = 1L << 30;

    public static LogStoreOptions Default { get; } = new();

    public void Validate()
    {
        Require(SegmentBytes is >= 1 << 10 and <= 4L << 30, nameof(SegmentBytes), SegmentBytes, "must be between 1 KiB and 4 GiB");
        Require(MaxRecordBytes is >= 256 and <= MaxRecordBytesCeiling, nameof(MaxRecordBytes), MaxRecordBytes, "must be between 256 B and 1 GiB");
        Require(PreallocateBytes is >= 0 and <= 1 << 30, nameof(PreallocateBytes), PreallocateBytes, "must be between 0 (off) and 1 GiB");
        Require(MaxBufferedBytes is >= 4 << 10 and <= 1 << 30, nameof(MaxBufferedBytes), MaxBufferedBytes, "must be between 4 KiB and 1 GiB");
        Require(MaxSnapshotBytes >= 0 && MaxSnapshotBytes <= Array.MaxLength - SnapshotFile.HeaderBytes - SnapshotFile.MaxMembershipBytes - SnapshotFile.TrailerBytes,
            nameof(MaxSnapshotBytes), MaxSnapshotBytes, "must fit in one array with the snapshot's header");
    }

    private static void Require(bool condition, string name, long value, string rule)
    {
        if (!condition)
        {
            throw new ArgumentException($"{name} = {value} {rule}", name);
        }
    }
}
