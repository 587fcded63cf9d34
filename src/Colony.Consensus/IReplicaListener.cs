namespace Colony.Consensus;

/// <summary>What a replica reports to the code that serves clients. Called on the replica's thread.</summary>
public interface IReplicaListener
{
    /// <summary>An entry was applied to the state machine.</summary>
    void OnApplied(in Entry entry) { }

    /// <summary>The state machine was replaced by a snapshot received from the leader.</summary>
    void OnSnapshotRestored(SnapshotMetadata metadata) { }

    /// <summary>A read request may be served once the state machine has applied <see cref="ReadState.Index"/> (it may already have).</summary>
    void OnReadReady(ReadState state) { }

    /// <summary>A read request cannot be confirmed here; fail it or retry elsewhere.</summary>
    void OnReadDropped(ulong requestId) { }

    /// <summary>The leader or this node's role changed.</summary>
    void OnSoftStateChanged(SoftState state) { }
}
