namespace Colony.Consensus.StateMachine;

/// <summary>
/// Names the module a command or snapshot section belongs to. The values are persisted in every log
/// entry and snapshot: never renumber one, and never reuse a retired one. Zero is reserved.
/// </summary>
public readonly record struct ModuleId(byte Value) : IComparable<ModuleId>
{
    /// <summary>Cluster membership: the nodes of the cluster and their roles.</summary>
    public static readonly ModuleId Membership = new(1);

    /// <summary>The coordination service: the znode tree and sessions.</summary>
    public static readonly ModuleId Coordination = new(2);

    /// <summary>The file-system namespace: files and blocks.</summary>
    public static readonly ModuleId Namespace = new(3);

    /// <summary>Jobs and their tasks.</summary>
    public static readonly ModuleId Jobs = new(4);

    /// <summary>API tokens: who may call the HTTP API, and as whom.</summary>
    public static readonly ModuleId Access = new(5);

    /// <summary>A small key-value store for tests and the simulator; production nodes never register it.</summary>
    public static readonly ModuleId KeyValue = new(100);

    public int CompareTo(ModuleId other) => Value.CompareTo(other.Value);

    public override string ToString() => Value switch
    {
        1 => "Membership",
        2 => "Coordination",
        3 => "Namespace",
        4 => "Jobs",
        5 => "Access",
        100 => "KeyValue",
        _ => $"module {Value}",
    };
}
