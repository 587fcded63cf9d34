using System.Diagnostics.Metrics;
using Colony.Node.Dashboard;
using Colony.Node.Diagnostics;
using Colony.Node.Hosting;

namespace Colony.Node.FileSystem;

/// <summary>
/// The storage metrics. Every node reports the namespace's block count, its data directory's disk, and the
/// bytes its transfer server moved; the leader alone keeps the block map, so only it reports the blocks
/// waiting for a replica, the missing ones, and the corrupt replicas.
/// </summary>
public sealed class StorageMetrics
{
    private readonly NamespaceService _files;
    private readonly BlockManager _manager;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private (long At, FsckView? Fsck) _last;

    public StorageMetrics(NodeMetrics metrics, NodeOptions options, NamespaceService files, BlockManager manager, DataNodeService dataNode, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        _files = files;
        _manager = manager;
        _time = time;
        var meter = metrics.Meter;
        // "{byte}": an annotation, so the exporter adds no unit suffix and the series keep their documented names.
        meter.CreateObservableCounter("colony.fs.bytes_read", () => dataNode.Transfers?.BytesRead ?? 0, "{byte}",
            "Block bytes this data node's transfer server sent to readers and copying peers.");
        meter.CreateObservableCounter("colony.fs.bytes_written", () => dataNode.Transfers?.BytesWritten ?? 0, "{byte}",
            "Block bytes this data node's transfer server stored, from write pipelines and replication copies.");
        meter.CreateObservableCounter("colony.fs.block_token_refusals", () => dataNode.Transfers?.TokensRefused ?? 0, "{request}",
            "Block transfer requests this data node refused for a missing, forged, expired or mismatched block access token.");
        meter.CreateObservableGauge("colony.fs.blocks", () => (long)files.Read(tree => tree.BlockCount), "{block}",
            "Blocks of the file system's files (the replicated namespace, on every node).");
        meter.CreateObservableGauge("colony.fs.disk.used", () => Disk(options).Used, "By", "Bytes used on the volume holding this node's data directory.");
        meter.CreateObservableGauge("colony.fs.disk.free", () => Disk(options).Free, "By", "Bytes free to this node on the volume holding its data directory.");
        meter.CreateObservableCounter("colony.fs.balancer.moves", () => _manager.BalancerMovesDone, "{move}",
            "Balancer moves this node finished while leading: a block copied to an emptier node, then deleted from the fuller one.");
        meter.CreateObservableCounter("colony.fs.copies_abandoned", () => _manager.CopiesAbandoned, "{copy}",
            "Repair copies this node gave up while leading because their source or target died or restarted before the copy landed; each is planned again at once.");
        meter.CreateObservableGauge("colony.fs.replication_queue", () => Leader(f => f.UnderReplicated), "{block}",
            "On the leader: blocks with fewer live replicas than wanted, waiting for a copy.");
        meter.CreateObservableGauge("colony.fs.missing_blocks", () => Leader(f => f.Missing + f.Corrupt), "{block}",
            "On the leader: blocks with no readable replica (none on a live node, or only corrupt ones).");
        meter.CreateObservableGauge("colony.fs.corrupt_replicas", () => _manager.IsActive
            ? [new Measurement<long>(_manager.ReplicaCounts().Values.Sum(c => c.Corrupt))]
            : Array.Empty<Measurement<long>>(), "{replica}", "On the leader: replicas the data nodes or readers found corrupt, not yet replaced.");
    }

    private static (long Used, long Free) Disk(NodeOptions options)
    {
        var disk = NodeSelf.Disk(options.DataDir);
        return (disk.TotalBytes - disk.FreeBytes, disk.FreeBytes);
    }

    /// <summary>A figure of the leader's fsck; nothing elsewhere, or before the leader has every node's report.</summary>
    private IEnumerable<Measurement<long>> Leader(Func<FsckView, int> figure) =>
        Fsck() is { } fsck ? [new Measurement<long>(figure(fsck))] : [];

    // One fsck serves all the gauges of a scrape.
    private FsckView? Fsck()
    {
        long now = _time.MonotonicMs();
        lock (_gate)
        {
            if (now - _last.At > 1_000)
            {
                _last = (now, _manager.IsSettled(now) ? FsEndpoints.Fsck(_files, _manager, "/", now) : null);
            }
            return _last.Fsck;
        }
    }
}
