using Colony.Storage.Namespace;

namespace Colony.Node.Hosting;

/// <summary>The replica loop as the file system's host.</summary>
public sealed partial class ReplicaLoop
{
    /// <summary>The file-system namespace's module of the replicated state machine.</summary>
    public NamespaceModule Namespace { get; } = new();

    /// <summary>Guards <see cref="Namespace"/>: held while commands are applied to it, so HTTP threads can read it.</summary>
    internal object NamespaceGate { get; } = new();

    /// <summary>True while this node leads (the published status, readable from any thread).</summary>
    public bool IsLeader => _status.Role == "leader";
}
