namespace Colony.Coordination;

/// <summary>How a znode is created (ZooKeeper's CreateMode flags). The values go on the wire.</summary>
public enum CreateMode
{
    Persistent = 0,
    Ephemeral = 1,
    PersistentSequential = 2,
    EphemeralSequential = 3,
    Container = 4,
    PersistentWithTtl = 5,
    PersistentSequentialWithTtl = 6,
}

public static class CreateModeExtensions
{
    public static bool IsEphemeral(this CreateMode mode) => mode is CreateMode.Ephemeral or CreateMode.EphemeralSequential;

    public static bool IsSequential(this CreateMode mode) =>
        mode is CreateMode.PersistentSequential or CreateMode.EphemeralSequential or CreateMode.PersistentSequentialWithTtl;

    public static bool IsContainer(this CreateMode mode) => mode == CreateMode.Container;

    public static bool IsTtl(this CreateMode mode) => mode is CreateMode.PersistentWithTtl or CreateMode.PersistentSequentialWithTtl;

    /// <summary>True for a value ZooKeeper defines.</summary>
    public static bool IsDefined(this CreateMode mode) => mode is >= CreateMode.Persistent and <= CreateMode.PersistentSequentialWithTtl;
}
