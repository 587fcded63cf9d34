namespace Colony.Testing.Linearizability;

public enum KeyValueOperationKind : byte
{
    Put = 1,
    Get = 2,
    Delete = 3,
}

/// <summary>What a key-value client asked for. A Get's output is the value read (null if none); a Put's or Delete's is ignored.</summary>
public readonly record struct KeyValueInput(KeyValueOperationKind Kind, string Key, string? Value = null)
{
    public static KeyValueInput Put(string key, string value) => new(KeyValueOperationKind.Put, key, value);

    public static KeyValueInput Get(string key) => new(KeyValueOperationKind.Get, key);

    public static KeyValueInput Delete(string key) => new(KeyValueOperationKind.Delete, key);

    public override string ToString() => Kind switch
    {
        KeyValueOperationKind.Put => $"put(\"{Key}\", \"{Value}\")",
        KeyValueOperationKind.Get => $"get(\"{Key}\")",
        _ => $"delete(\"{Key}\")",
    };
}
