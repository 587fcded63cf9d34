namespace Colony.Node.ZooKeeper;

/// <summary>Request counts and latencies for the four-letter words (loop thread only).</summary>
internal sealed class ServerCounters
{
    public long Received;

    public long Sent;

    public long MinLatencyMs = long.MaxValue;

    public long MaxLatencyMs;

    public long TotalLatencyMs;

    public long Requests;

    /// <summary>Authentications refused (digest or SASL): ZooKeeper's auth_failed_count.</summary>
    public long AuthFailed;

    public void RecordLatency(long ms)
    {
        Requests++;
        TotalLatencyMs += ms;
        MinLatencyMs = Math.Min(MinLatencyMs, ms);
        MaxLatencyMs = Math.Max(MaxLatencyMs, ms);
    }

    public double AverageLatencyMs => Requests == 0 ? 0 : (double)TotalLatencyMs / Requests;

    public long MinOrZero => Requests == 0 ? 0 : MinLatencyMs;
}
