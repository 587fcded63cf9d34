using Colony.Consensus;

namespace Colony.Simulation.Cluster;

/// <summary>What the checkers learn from a node as it runs.</summary>
internal interface INodeObserver
{
    /// <summary>The node (re)started; its state machine holds the snapshot at <paramref name="snapshotIndex"/> (0 for none).</summary>
    void OnStarted(SimNode node, ulong snapshotIndex);

    /// <summary>The node handled one event (tick, message, flush, request): its role, term and commit may have moved.</summary>
    void AfterEvent(SimNode node);

    void OnApplied(SimNode node, in Entry entry);

    void OnSnapshotRestored(SimNode node, SnapshotMetadata snapshot);
}
