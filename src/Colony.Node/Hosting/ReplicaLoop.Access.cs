using Colony.Storage.Access;

namespace Colony.Node.Hosting;

/// <summary>The replica loop as the keeper of the API tokens.</summary>
public sealed partial class ReplicaLoop
{
    /// <summary>The API tokens' module of the replicated state machine.</summary>
    public AccessModule Access { get; } = new();

    /// <summary>Guards <see cref="Access"/>: held while commands are applied to it, so HTTP threads can read it.</summary>
    internal object AccessGate { get; } = new();
}
