using Colony.Core;

namespace Colony.Node.Blocks;

/// <summary>Where a replica stands on this node.</summary>
public enum ReplicaState
{
    /// <summary>Complete, fsynced, immutable: served to readers.</summary>
    Finalized,

    /// <summary>Being written, or left by a broken pipeline for recovery to resume.</summary>
    BeingWritten,

    /// <summary>Failed verification (scrubber, reader or startup scan): not served; the leader should replace and delete it.</summary>
    Corrupt,
}

/// <summary>One replica in a block report.</summary>
public readonly record struct ReplicaInfo(BlockVersion Version, long Length, ReplicaState State);

/// <summary>What changed, for incremental block reports.</summary>
public enum ReplicaChange
{
    /// <summary>A replica was finalized.</summary>
    Received,

    /// <summary>A replica was deleted (or replaced by a newer stamp).</summary>
    Deleted,

    /// <summary>A replica was found corrupt.</summary>
    Corrupt,
}

/// <summary>One change to the store's replicas, in the order they happened.</summary>
public readonly record struct ReplicaDelta(ReplicaChange Change, BlockVersion Version, long Length);
