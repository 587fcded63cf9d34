using Colony.Consensus.KeyValue;
using Colony.Consensus.StateMachine;
using Colony.Coordination.Tree;
using Colony.Simulation.Coordination;

namespace Colony.Simulation.Cluster;

/// <summary>
/// One node's state machine: the production <see cref="CompositeStateMachine"/> with the key-value
/// module and the coordination module (ZooKeeper's data tree), as the clients and checkers see it.
/// </summary>
internal sealed class NodeStateMachine
{
    private readonly KeyValueModule _keyValue = new();
    private readonly CoordinationModule _coordination = new();

    /// <param name="divergentTree">Test-only bug: the tree stamps this node's own clock on what it applies.</param>
    public NodeStateMachine(Func<long>? divergentTree = null)
    {
        IStateMachineModule coordination = divergentTree is null
            ? _coordination
            : new DivergentCoordinationModule(_coordination, divergentTree);
        StateMachine = new CompositeStateMachine(_keyValue, coordination);
    }

    public CompositeStateMachine StateMachine { get; }

    public DataTree Tree => _coordination.Tree;

    public string? Get(string key) => _keyValue.Get(key);

    public IReadOnlyList<KeyValuePair<string, string>> Contents() => [.. _keyValue.Entries];
}
