namespace Colony.Consensus.Storage;

/// <summary>What a write-ahead-log record holds. The values are on disk: never renumber or reuse one.</summary>
internal enum WalRecordKind : byte
{
    /// <summary>One log entry: index, term, type, data. It supersedes every earlier entry at or after its index.</summary>
    Entry = 1,

    /// <summary>Term, vote and commit index. The last one in the log wins.</summary>
    HardState = 2,

    /// <summary>An installed snapshot's index and term: the log restarts right after it.</summary>
    LogReset = 3,

    /// <summary>The first record of every segment: format version and the segment's sequence number.</summary>
    SegmentHeader = 4,
}
