using Colony.Storage.Blocks;

namespace Colony.Client.Blocks;

/// <summary>Limits and timeouts of the block transfer protocol, shared by the server and the client.</summary>
public sealed class BlockTransferOptions
{
    /// <summary>Block bytes per data packet (a multiple of the chunk size is used). Default 256 KiB.</summary>
    public int PacketSize { get; init; } = 256 * 1024;

    /// <summary>Packets a writer may have sent but not yet seen acked. Default 16 (4 MiB in flight at the default packet size).</summary>
    public int Window { get; init; } = 16;

    /// <summary>Chunk size of new replicas. Default <see cref="ChunkChecksums.DefaultChunkSize"/>.</summary>
    public int ChunkSize { get; init; } = ChunkChecksums.DefaultChunkSize;

    /// <summary>How long to wait for a TCP connection. Default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a read of the next frame may wait (covers a downstream fsync of a whole block). Default 60 s.</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long a client keeps a connection that finished a read, for its next read from the same node (no new TCP or
    /// TLS handshake); a node waits twice as long for the next request on it. Zero: one connection per read. Default 10 s.
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Connections a server serves at once; more are refused. Default 256.</summary>
    public int MaxConnections { get; init; } = 256;

    /// <summary>Connections a server serves at once from one IP address; more are closed on accept. 0 (the default): no limit.</summary>
    public int MaxConnectionsPerIp { get; init; }

    /// <summary>
    /// When set, every connection runs inside mutual TLS: the server and the client each present their
    /// certificate and accept only the cluster CA's. Default null: plain TCP.
    /// </summary>
    public Security.ClusterTrust? Tls { get; init; }

    /// <summary>The name this client gives in write requests (for the nodes' logs).</summary>
    public string ClientName { get; init; } = "colony";

    /// <summary>
    /// Opens the TCP connection to a data node and returns the connected socket; null (the default): a
    /// new socket connected directly. See <see cref="ZooKeeperClientOptions.ConnectCallback"/>.
    /// </summary>
    public Func<System.Net.DnsEndPoint, CancellationToken, ValueTask<System.Net.Sockets.Socket>>? ConnectCallback { get; init; }

    internal int PacketDataSize(int chunkSize) => Math.Max(chunkSize, PacketSize / chunkSize * chunkSize);

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(PacketSize, ChunkChecksums.MinChunkSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(PacketSize, Storage.Blocks.Transfer.TransferLimits.MaxPacketData);
        ArgumentOutOfRangeException.ThrowIfLessThan(Window, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Window, 1024);
        if (!ChunkChecksums.IsValidChunkSize(ChunkSize))
        {
            throw new ArgumentOutOfRangeException(nameof(ChunkSize), ChunkSize, "chunk size must be a power of two in [512, 65536]");
        }
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ConnectTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ReadTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(IdleTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConnections, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(MaxConnectionsPerIp);
    }
}
