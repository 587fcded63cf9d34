namespace Colony.Coordination;

/// <summary>
/// A znode's metadata, field for field as ZooKeeper's jute <c>Stat</c> (and in its wire order).
/// Times are milliseconds since the Unix epoch, stamped by the node that proposed the change.
/// </summary>
public readonly record struct Stat(
    long Czxid,
    long Mzxid,
    long Ctime,
    long Mtime,
    int Version,
    int Cversion,
    int Aversion,
    long EphemeralOwner,
    int DataLength,
    int NumChildren,
    long Pzxid);
