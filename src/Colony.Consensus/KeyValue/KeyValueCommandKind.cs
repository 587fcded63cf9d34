namespace Colony.Consensus.KeyValue;

/// <summary>The commands of the key-value module. Persisted in test logs and snapshots: never renumber.</summary>
public enum KeyValueCommandKind : byte
{
    Put = 1,
    Delete = 2,
}
