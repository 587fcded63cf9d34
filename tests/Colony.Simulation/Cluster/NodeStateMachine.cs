using Colony.Consensus.KeyValue;
using Colony.Consensus.StateMachine;
using Colony.Coordination;
using Colony.Coordination.Commands;
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
        _coordination.Applied += (_, command, result) =>
        {
            SessionsMoved += command.Operation is Op.MoveSession && result.IsOk ? 1 : 0;
            FencedCommands += result.Error == ErrorCode.SessionMoved ? 1 : 0;
        };
    }

    /// <summary>Sessions moved to another node, of the commands this process applied (not those inside a restored snapshot).</summary>
    public int SessionsMoved { get; private set; }

    /// <summary>Commands that failed with SessionMoved, of those this process applied.</summary>
    public int FencedCommands { get; private set; }

    public CompositeStateMachine StateMachine { get; }

    public DataTree Tree => _coordination.Tree;

    public string? Get(string key) => _keyValue.Get(key);

    public IReadOnlyList<KeyValuePair<string, string>> Contents() => [.. _keyValue.Entries];
}
