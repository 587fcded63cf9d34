using Colony.Consensus.KeyValue;
using Colony.Consensus.StateMachine;

namespace Colony.Simulation.KeyValue;

/// <summary>The entry payloads of the key-value clients: one-command batches for the key-value module.</summary>
internal static class KeyValueCommands
{
    /// <summary>The entry payload that puts <paramref name="value"/> at <paramref name="key"/>.</summary>
    public static ReadOnlyMemory<byte> EncodePut(string key, string value) =>
        CommandBatch.Encode(ModuleId.KeyValue, KeyValueCommand.EncodePut(key, value));

    /// <summary>The entry payload that removes <paramref name="key"/>.</summary>
    public static ReadOnlyMemory<byte> EncodeDelete(string key) =>
        CommandBatch.Encode(ModuleId.KeyValue, KeyValueCommand.EncodeDelete(key));
}
