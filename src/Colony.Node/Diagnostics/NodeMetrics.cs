using System.Diagnostics.Metrics;

namespace Colony.Node.Diagnostics;

/// <summary>
/// The node's instruments, all on one meter that <c>/metrics</c> exports in Prometheus text. Counters and
/// histograms live here; gauges are registered by the part that owns the value (<see cref="Meter"/>).
/// </summary>
public sealed class NodeMetrics
{
    /// <summary>The meter's name, which the exporter subscribes to.</summary>
    public const string MeterName = "Colony";

    // Reads answer in tens of microseconds, fsyncs in milliseconds: the default buckets (5 ms up) hide both.
    private static readonly double[] LatencyBuckets =
        [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

    public NodeMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        Meter = meters.Create(MeterName);
        Elections = Meter.CreateCounter<long>("colony.raft.elections", "{election}", "Elections this node started (it became a candidate).");
        FsyncDuration = Meter.CreateHistogram("colony.raft.fsync.duration", "s", "Time to make the write-ahead log durable, per fsync.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        ZooKeeperRequests = Meter.CreateCounter<long>("colony.zookeeper.requests", "{request}", "ZooKeeper requests answered, by opcode.");
        QuotaExceeded = Meter.CreateCounter<long>("colony.zookeeper.quota_exceeded", "{change}", "Changes that went over a soft quota (applied, and logged).");
        ZooKeeperConnectionsRefused = Meter.CreateCounter<long>("colony.zookeeper.connections.refused", "{connection}",
            "ZooKeeper client connections closed on arrival, by reason: per_ip (MaxClientConnectionsPerIp) or total (MaxConnections).");
        HttpConnectionsRefused = Meter.CreateCounter<long>("colony.http.connections.refused", "{connection}",
            "HTTP connections closed on arrival, by reason: per_ip (MaxHttpConnectionsPerIp).");
        ZooKeeperReadPauses = Meter.CreateCounter<long>("colony.zookeeper.read_pauses", "{pause}",
            "Times the server stopped reading a connection because it had MaxOutstandingPerConnection requests in flight.");
        ZooKeeperThrottled = Meter.CreateCounter<long>("colony.zookeeper.throttled", "{request}",
            "ZooKeeper requests whose reading waited for the request rate limit (MaxRequestsPerSecond).");
        ZooKeeperLatency = Meter.CreateHistogram("colony.zookeeper.request.duration", "s", "From a ZooKeeper request's arrival to its reply, by opcode.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
    }

    /// <summary>Where owners register their observable gauges.</summary>
    public Meter Meter { get; }

    public Counter<long> Elections { get; }

    public Histogram<double> FsyncDuration { get; }

    public Counter<long> ZooKeeperRequests { get; }

    public Histogram<double> ZooKeeperLatency { get; }

    public Counter<long> QuotaExceeded { get; }

    public Counter<long> ZooKeeperConnectionsRefused { get; }

    public Counter<long> HttpConnectionsRefused { get; }

    public Counter<long> ZooKeeperReadPauses { get; }

    public Counter<long> ZooKeeperThrottled { get; }
}
