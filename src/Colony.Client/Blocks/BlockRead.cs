using Colony.Core;
using Colony.Storage.Blocks.Transfer;

namespace Colony.Client.Blocks;

/// <summary>
/// A read the node has agreed to serve: <see cref="CopyToAsync"/> takes in its bytes, verified, once. Disposing it
/// keeps the connection for the next read from the node if the bytes were all taken, and closes it otherwise.
/// </summary>
public sealed class BlockRead : IAsyncDisposable
{
    private readonly FrameConnection _connection;
    private readonly ReadBlockReply _reply;
    private readonly IdleConnections _idle;
    private int _copied;
    private int _disposed;
    private volatile bool _clean;

    internal BlockRead(FrameConnection connection, string node, BlockVersion version, ReadBlockReply reply, long offset, long length, IdleConnections idle)
    {
        _connection = connection;
        _reply = reply;
        _idle = idle;
        Node = node;
        Version = version;
        Offset = offset;
        Length = length;
    }

    /// <summary>The node serving the read ("host:port").</summary>
    public string Node { get; }

    public BlockVersion Version { get; }

    /// <summary>Where in the block the asked bytes start.</summary>
    public long Offset { get; }

    /// <summary>How many bytes were asked for.</summary>
    public long Length { get; }

    /// <summary>
    /// Writes the asked bytes to <paramref name="destination"/> as their chunks are verified. Throws
    /// <see cref="ChecksumMismatchException"/> or <see cref="ReplicaUnavailableException"/> for the replica's
    /// failures, and the destination's own exception for the destination's.
    /// </summary>
    public async Task CopyToAsync(Stream destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (Interlocked.Exchange(ref _copied, 1) != 0)
        {
            throw new InvalidOperationException($"the read of {Version} from {Node} was already taken in");
        }
        try
        {
            _clean = await BlockTransferClient.ReceiveAsync(_connection, Node, Version, _reply, Offset, Length, destination, cancellationToken).ConfigureAwait(false);
        }
        catch (BlockTransferClient.DestinationFailedException e)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException!).Throw();
            throw;
        }
        catch (Exception e) when (BlockTransferClient.IsConnectionFailure(e) || e is ArgumentOutOfRangeException)
        {
            throw new ReplicaUnavailableException(Node, Version, TransferStatus.Unreachable, e.Message, e);
        }
    }

    /// <summary>Keeps the connection for reuse after a read taken in whole, else closes it; a second call does nothing.</summary>
    public ValueTask DisposeAsync() =>
        Interlocked.Exchange(ref _disposed, 1) != 0 ? ValueTask.CompletedTask
        : _clean ? _idle.ReturnAsync(Node, _connection)
        : _connection.DisposeAsync();
}
