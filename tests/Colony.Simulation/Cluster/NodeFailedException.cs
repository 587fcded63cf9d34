using Colony.Core;

namespace Colony.Simulation.Cluster;

/// <summary>Production code running on <see cref="Node"/> threw: a broken invariant, a storage error, a contract misuse.</summary>
internal sealed class NodeFailedException(NodeId node, Exception inner)
    : Exception($"node {node}: {inner.GetType().Name}: {inner.Message}", inner)
{
    public NodeId Node { get; } = node;
}
