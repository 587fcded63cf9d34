using Colony.Consensus;
using Colony.Consensus.StateMachine;
using Colony.Consensus.KeyValue;

namespace Colony.Simulation.KeyValue;

/// <summary>
/// One node's state machine: the production <see cref="CompositeStateMachine"/> with the key-value
/// module, as the simulator's clients and checkers see it.
/// </summary>
internal sealed class KeyValueReplica
{
    private readonly KeyValueModule _module = new();

    public KeyValueReplica() => StateMachine = new CompositeStateMachine(_module);

    public CompositeStateMachine StateMachine { get; }

    /// <summary>The entry payload (a one-command batch) that puts <paramref name="value"/> at <paramref name="key"/>.</summary>
    public static ReadOnlyMemory<byte> EncodePut(string key, string value) =>
        CommandBatch.Encode(ModuleId.KeyValue, KeyValueCommand.EncodePut(key, value));

    /// <summary>The entry payload that removes <paramref name="key"/>.</summary>
    public static ReadOnlyMemory<byte> EncodeDelete(string key) =>
        CommandBatch.Encode(ModuleId.KeyValue, KeyValueCommand.EncodeDelete(key));

    public string? Get(string key) => _module.Get(key);

    public IReadOnlyList<KeyValuePair<string, string>> Contents() => [.. _module.Entries];
}
