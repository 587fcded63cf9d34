namespace Colony.Node.Diagnostics;

/// <summary>
/// Block bytes a data node's transfer server moved: read out to clients and peers, and written to its own
/// replicas (from writers' pipelines and from replication copies), and requests refused for their block access
/// token. Bumped per packet, read by the metrics.
/// </summary>
public sealed class BlockTransferCounters
{
    private long _read;
    private long _written;
    private long _refused;

    public long BytesRead => Interlocked.Read(ref _read);

    public long BytesWritten => Interlocked.Read(ref _written);

    public void Read(long bytes) => Interlocked.Add(ref _read, bytes);

    public long TokensRefused => Interlocked.Read(ref _refused);

    public void Written(long bytes) => Interlocked.Add(ref _written, bytes);

    public void Refused() => Interlocked.Increment(ref _refused);
}
