using System.Globalization;
using Colony.Consensus.Storage;

namespace Colony.Node.FileSystem;

/// <summary>
/// The number that orders a data node's processes, sent with every heartbeat: the leader takes a request from a
/// process older than the one it knows for a late one, never for a restart. Each start takes one above the last,
/// kept (fsynced) in the data directory, so a clock stepped back between two starts cannot reorder them; and never
/// less than the wall clock's milliseconds, so a node whose directory was wiped still counts above its old processes.
/// </summary>
public static class DataNodeIncarnation
{
    public const string FileName = "datanode-incarnation";

    /// <summary>The incarnation after <paramref name="stored"/> (null: none kept) when the clock reads <paramref name="nowMs"/>.</summary>
    public static long Advance(long? stored, long nowMs) => Math.Max((stored ?? 0) + 1, nowMs);

    /// <summary>Takes this process's incarnation: reads the last one from <paramref name="dataDir"/>, advances it and keeps it durably.</summary>
    public static long Next(string dataDir, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        string path = Path.Combine(dataDir, FileName);
        long? stored = File.Exists(path) && long.TryParse(File.ReadAllText(path).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long last)
            ? last
            : null; // none yet, or unreadable: the clock alone orders this start
        long next = Advance(stored, time.GetUtcNow().ToUnixTimeMilliseconds());
        string temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(System.Text.Encoding.ASCII.GetBytes(next.ToString(CultureInfo.InvariantCulture)));
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
        PhysicalFileSystem.Instance.SyncDirectory(dataDir);
        return next;
    }
}
