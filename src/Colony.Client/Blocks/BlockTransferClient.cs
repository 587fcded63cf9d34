using System.Buffers;
using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Threading.Channels;
using Colony.Core;
using Colony.Storage.Blocks;
using Colony.Storage.Blocks.Transfer;

namespace Colony.Client.Blocks;

/// <summary>
/// Moves block bytes to and from data nodes: <see cref="WriteBlockAsync"/> streams a block through a write
/// pipeline, <see cref="ReadBlockAsync"/> reads a verified byte range of one replica. Thread-safe. A connection that
/// finished a read is kept for the next read from the same node (<see cref="BlockTransferOptions.IdleTimeout"/>);
/// disposing the client closes those.
/// </summary>
public sealed class BlockTransferClient : IAsyncDisposable, IDisposable
{
    /// <summary>The block size assumed for the free-space check when the source's length is unknown.</summary>
    public const long DefaultBlockSize = 64L * 1024 * 1024;

    /// <summary>Idle connections kept per node: a file reader uses one, and one more for the read it opens ahead.</summary>
    private const int IdlePerNode = 4;

    private readonly BlockTransferOptions _options;
    private readonly IdleConnections _idle;

    public BlockTransferClient(BlockTransferOptions? options = null)
    {
        _options = options ?? new BlockTransferOptions();
        _options.Validate();
        _idle = new IdleConnections(_options.IdleTimeout, IdlePerNode, TimeProvider.System);
    }

    /// <summary>Closes the connections kept for reuse.</summary>
    public ValueTask DisposeAsync() => _idle.DisposeAsync();

    /// <summary>Closes the connections kept for reuse (closing a socket does not wait on the network).</summary>
    public void Dispose() => _idle.DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>
    /// Writes the rest of <paramref name="source"/> as block <paramref name="version"/> through <paramref name="pipeline"/>
    /// ("host:port" of each node, in order), from <paramref name="startOffset"/> (above zero only to resume after a
    /// failure, with a newer stamp and the surviving nodes). Returns the block's length once every node acked it as
    /// durable. <paramref name="token"/> is the block access token the namespace handed out with the block (every node
    /// checks it). Throws <see cref="PipelineFailedException"/> naming the failed node and the acked length.
    /// </summary>
    public async Task<long> WriteBlockAsync(
        IReadOnlyList<string> pipeline,
        BlockVersion version,
        Stream source,
        long startOffset = 0,
        long? expectedLength = null,
        int? chunkSize = null,
        string token = "",
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(source);
        if (pipeline.Count is 0 || pipeline.Count > TransferLimits.MaxTargets + 1)
        {
            throw new ArgumentException($"a pipeline has 1 to {TransferLimits.MaxTargets + 1} nodes", nameof(pipeline));
        }
        int chunk = chunkSize ?? _options.ChunkSize;
        long expected = expectedLength ?? (source.CanSeek ? startOffset + source.Length - source.Position : DefaultBlockSize);
        var request = new WriteBlockRequest(version, startOffset, Math.Max(expected, startOffset), chunk, _options.ClientName, pipeline.Skip(1).ToArray(), token);
        var write = new PipelineWrite(pipeline, version, startOffset);

        FrameConnection connection;
        try
        {
            connection = await FrameConnection.ConnectAsync(pipeline[0], _options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsConnectionFailure(e))
        {
            throw write.Failed(0, TransferStatus.Unreachable, e.Message, e);
        }
        await using (connection.ConfigureAwait(false))
        {
            PipelineAck setup;
            try
            {
                byte[] frame = new byte[request.FrameLength];
                request.WriteFrame(frame);
                await connection.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
                setup = await connection.ReadAckAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (IsConnectionFailure(e))
            {
                throw write.Failed(0, TransferStatus.Unreachable, e.Message, e);
            }
            if (!setup.AllOk)
            {
                int index = setup.FirstFailure;
                throw write.Failed(index, setup.Statuses[index], setup.Message);
            }
            if (setup.Seqno != PipelineAck.SetupSeqno || setup.Statuses.Count != pipeline.Count)
            {
                throw write.Failed(0, TransferStatus.Unreachable, $"setup answered for {setup.Statuses.Count} of {pipeline.Count} nodes");
            }
            return await StreamAsync(connection, write, source, chunk, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<long> StreamAsync(FrameConnection connection, PipelineWrite write, Stream source, int chunkSize, CancellationToken cancellationToken)
    {
        int packetData = _options.PacketDataSize(chunkSize);
        int fullDataOffset = new DataPacketHeader(0, 0, false, packetData).DataOffset(chunkSize);
        using var window = new SemaphoreSlim(_options.Window, _options.Window);
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task acks = write.ReadAcksAsync(connection, window, failed);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(DataPacketHeader.MaxFrameLength(packetData, chunkSize));
        bool readingSource = false;
        try
        {
            long offset = write.StartOffset;
            for (long seqno = 0; ; seqno++)
            {
                readingSource = true;
                int length = await source.ReadAtLeastAsync(buffer.AsMemory(fullDataOffset, packetData), packetData, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                readingSource = false;
                var packet = new DataPacketHeader(seqno, offset, Last: length < packetData, length);
                int dataOffset = packet.DataOffset(chunkSize);
                if (dataOffset != fullDataOffset)
                {
                    // A short last packet has fewer checksums: close the gap.
                    Buffer.BlockCopy(buffer, fullDataOffset, buffer, dataOffset, length);
                }
                packet.WriteHeaders(buffer, chunkSize);
                ChunkChecksums.Compute(buffer.AsSpan(dataOffset, length), chunkSize, buffer.AsSpan(DataPacketHeader.ChecksumsOffset));
                await window.WaitAsync(failed.Token).ConfigureAwait(false);
                write.Sent(seqno, offset + length, packet.Last);
                await connection.WriteAsync(buffer.AsMemory(0, packet.FrameLength(chunkSize)), failed.Token).ConfigureAwait(false);
                offset += length;
                if (packet.Last)
                {
                    break;
                }
            }
            await acks.ConfigureAwait(false);
        }
        catch (Exception) when (readingSource)
        {
            // The source's own failure, not the pipeline's: pass it on as it is.
            connection.Abort();
            await acks.ConfigureAwait(false);
            throw;
        }
        catch (Exception e) when (IsConnectionFailure(e) || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            connection.Abort();
            await acks.ConfigureAwait(false);
            throw write.Failure ?? write.Failed(0, TransferStatus.Unreachable, e.Message, e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return write.Failure is { } failure ? throw failure : write.AckedLength;
    }

    /// <summary>
    /// Reads [<paramref name="offset"/>, +<paramref name="length"/>) of <paramref name="version"/> from <paramref name="node"/>
    /// into <paramref name="destination"/>, verifying every chunk, under the block access token the namespace handed out
    /// with the block's locations. Throws <see cref="ChecksumMismatchException"/> or <see cref="ReplicaUnavailableException"/>
    /// (status <see cref="TransferStatus.AccessDenied"/> for a missing or expired token), so the caller can fail over.
    /// </summary>
    public async Task ReadBlockAsync(string node, BlockVersion version, long offset, long length, Stream destination, string token = "", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        BlockRead read = await OpenReadAsync(node, version, offset, length, token, cancellationToken).ConfigureAwait(false);
        await using (read.ConfigureAwait(false))
        {
            await read.CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Asks <paramref name="node"/> for [<paramref name="offset"/>, +<paramref name="length"/>) of <paramref name="version"/> and
    /// waits for its answer; the bytes follow on the returned read. The node starts sending at once, so a reader that opens
    /// the next block's read while it takes in this one finds it under way: no connection, handshake or first disk read
    /// between blocks. Throws as <see cref="ReadBlockAsync"/> does.
    /// </summary>
    public async Task<BlockRead> OpenReadAsync(string node, BlockVersion version, long offset, long length, string token = "", CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var read = new ReadBlockRequest(version, offset, length, token);
        byte[] request = new byte[read.FrameLength];
        read.WriteFrame(request);
        FrameConnection? connection = null;
        try
        {
            (FrameConnection Connection, ReadBlockReply Reply)? asked = null;
            if (await _idle.TakeAsync(node).ConfigureAwait(false) is { } kept)
            {
                connection = kept;
                try
                {
                    asked = (kept, await AskAsync(kept, request, cancellationToken).ConfigureAwait(false));
                }
                catch (Exception e) when (IsConnectionFailure(e) && !cancellationToken.IsCancellationRequested)
                {
                    // The node closed the kept connection (it restarted, or stopped waiting): ask on a new one.
                    await kept.DisposeAsync().ConfigureAwait(false);
                    connection = null;
                }
            }
            if (asked is null)
            {
                FrameConnection fresh = await FrameConnection.ConnectAsync(node, _options, cancellationToken).ConfigureAwait(false);
                connection = fresh;
                asked = (fresh, await AskAsync(fresh, request, cancellationToken).ConfigureAwait(false));
            }
            (FrameConnection open, ReadBlockReply reply) = asked.Value;
            if (reply.Status != TransferStatus.Ok)
            {
                throw new ReplicaUnavailableException(node, version, reply.Status, reply.Message);
            }
            ChunkRange expected = ChunkChecksums.Covering(offset, length, reply.BlockLength, reply.ChunkSize);
            if (reply.StartOffset != expected.Offset || reply.Length != expected.Length)
            {
                throw new BlockProtocolException($"asked for [{offset}, +{length}), the node sends [{reply.StartOffset}, +{reply.Length})");
            }
            var opened = new BlockRead(open, node, version, reply, offset, length, _idle);
            connection = null;
            return opened;
        }
        catch (Exception e) when (IsConnectionFailure(e) || e is ArgumentOutOfRangeException)
        {
            throw new ReplicaUnavailableException(node, version, TransferStatus.Unreachable, e.Message, e);
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Sends a read request and returns the node's answer to it.</summary>
    private static async Task<ReadBlockReply> AskAsync(FrameConnection connection, byte[] request, CancellationToken cancellationToken)
    {
        await connection.WriteAsync(request, cancellationToken).ConfigureAwait(false);
        using PooledFrame frame = await connection.ReadFrameAsync(FrameType.ReadReply, cancellationToken).ConfigureAwait(false);
        return ReadBlockReply.Decode(frame.Body.Span);
    }

    /// <summary>Carries a destination stream's exception past the handler that blames the node.</summary>
    internal sealed class DestinationFailedException(Exception inner) : Exception(inner.Message, inner);

    /// <summary>Packets taken off the socket ahead of the one being opened, checked and written.</summary>
    private const int ReceiveAhead = 4;

    /// <summary>
    /// Receives the packets of one read in two stages that run side by side: one takes records off the socket, the
    /// other opens them (decrypts, over TLS), verifies their chunks and writes them out, so the cipher does not
    /// hold up the socket. The first stage stops by itself after the read's last byte, so a read that ends well
    /// leaves nothing pending on the connection, and it can serve another (returns true then).
    /// </summary>
    internal static async Task<bool> ReceiveAsync(FrameConnection connection, string node, BlockVersion version, ReadBlockReply reply, long offset, long length, Stream destination, CancellationToken cancellationToken)
    {
        var received = Channel.CreateBounded<ReceivedFrame>(new BoundedChannelOptions(ReceiveAhead) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task receiving = ReceiveFramesAsync(connection, received.Writer, reply.Length, reply.ChunkSize, stop.Token);
        bool consumed = false;
        bool leftOver = false;
        try
        {
            await ConsumeAsync(connection, received.Reader, receiving, node, version, reply, offset, length, destination, cancellationToken).ConfigureAwait(false);
            consumed = true;
        }
        finally
        {
            // A receiving stage that counted the read's last byte has ended, or is ending, by itself; one still reading
            // (a node that sent more than it said) is stopped, and its connection can carry nothing more.
            await stop.CancelAsync().ConfigureAwait(false);
            await receiving.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            while (received.Reader.TryRead(out ReceivedFrame? left))
            {
                leftOver = true;
                left.Dispose();
            }
        }
        return consumed && receiving.IsCompletedSuccessfully && !leftOver;
    }

    /// <summary>Takes the read's packets off the socket until their data adds up to <paramref name="dataBytes"/> (at least one packet).</summary>
    private static async Task ReceiveFramesAsync(FrameConnection connection, ChannelWriter<ReceivedFrame> frames, long dataBytes, int chunkSize, CancellationToken cancellationToken)
    {
        await Task.Yield();
        try
        {
            long counted = 0;
            do
            {
                ReceivedFrame frame = await connection.ReceiveAsync(cancellationToken).ConfigureAwait(false)
                    ?? throw new EndOfStreamException($"{connection.Remote} closed the connection");
                // Counted from the frame's length, before it is opened; the consumer checks each packet in full. Anything
                // but a data packet ends the stage and fails the read there.
                counted = frame.IsData ? counted + DataPacketHeader.DataLengthOfBody(frame.FrameLength - FrameHeader.Size, chunkSize) : dataBytes;
                try
                {
                    await frames.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    frame.Dispose();
                    throw;
                }
            }
            while (counted < dataBytes);
        }
        finally
        {
            frames.TryComplete();
        }
    }

    private static async ValueTask<ReceivedFrame> NextAsync(ChannelReader<ReceivedFrame> frames, Task receiving, string node, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (frames.TryRead(out ReceivedFrame? next))
            {
                return next;
            }
            if (!await frames.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                // The receiving stage ended: its failure is this read's, or the packets it counted ended early.
                await receiving.ConfigureAwait(false);
                throw new BlockProtocolException($"{node} ended the read before its last packet");
            }
        }
    }

    private static async Task ConsumeAsync(FrameConnection connection, ChannelReader<ReceivedFrame> frames, Task receiving, string node, BlockVersion version, ReadBlockReply reply, long offset, long length, Stream destination, CancellationToken cancellationToken)
    {
        int chunkSize = reply.ChunkSize;
        long position = reply.StartOffset;
        long end = offset + length;
        for (long seqno = 0; ; seqno++)
        {
            // Opened in place: a reader forwards nothing, so the record need not survive its opening.
            using PooledFrame frame = connection.Open(await NextAsync(frames, receiving, node, cancellationToken).ConfigureAwait(false), inPlace: true);
            if (frame.Header.Type != FrameType.DataPacket)
            {
                throw new BlockProtocolException($"expected a {FrameType.DataPacket} frame, got {frame.Header.Type}");
            }
            DataPacketHeader packet = DataPacketHeader.Decode(frame.Body.Span, chunkSize);
            if (packet.Seqno != seqno || packet.Offset != position || packet.Offset + packet.DataLength > reply.StartOffset + reply.Length)
            {
                throw new BlockProtocolException($"packet {packet.Seqno} at {packet.Offset}+{packet.DataLength} does not follow {position}");
            }
            ReadOnlyMemory<byte> data = frame.Frame.Slice(packet.DataOffset(chunkSize), packet.DataLength);
            int bad = ChunkChecksums.FindMismatch(data.Span, chunkSize, frame.Frame.Span.Slice(DataPacketHeader.ChecksumsOffset, packet.ChecksumCount(chunkSize) * sizeof(uint)));
            if (bad >= 0)
            {
                throw new ChecksumMismatchException(node, version, packet.Offset + ((long)bad * chunkSize));
            }
            long from = Math.Max(position, offset);
            long to = Math.Min(position + packet.DataLength, end);
            if (to > from)
            {
                try
                {
                    await destination.WriteAsync(data.Slice((int)(from - position), (int)(to - from)), cancellationToken).ConfigureAwait(false);
                }
                catch (IOException e)
                {
                    // The destination's failure, not the replica's: keep it apart from the network errors caught above.
                    throw new DestinationFailedException(e);
                }
            }
            position += packet.DataLength;
            if (packet.Last)
            {
                if (position != reply.StartOffset + reply.Length)
                {
                    throw new BlockProtocolException($"the last packet ends at {position}, not {reply.StartOffset + reply.Length}");
                }
                return;
            }
        }
    }

    internal static bool IsConnectionFailure(Exception e) =>
        e is IOException or SocketException or TimeoutException or BlockProtocolException or ObjectDisposedException
        && e is not BlockTransferException;

    /// <summary>The shared state of one pipeline write: packets in flight, the acked length, the first failure.</summary>
    private sealed class PipelineWrite(IReadOnlyList<string> pipeline, BlockVersion version, long startOffset)
    {
        private readonly ConcurrentQueue<(long Seqno, long End, bool Last)> _inFlight = new();
        private long _acked = startOffset;

        public long StartOffset { get; } = startOffset;

        public long AckedLength => Interlocked.Read(ref _acked);

        public PipelineFailedException? Failure { get; private set; }

        public void Sent(long seqno, long end, bool last) => _inFlight.Enqueue((seqno, end, last));

        public PipelineFailedException Failed(int index, TransferStatus status, string message, Exception? inner = null) =>
            new(pipeline[Math.Clamp(index, 0, pipeline.Count - 1)], index, version, status, AckedLength, message, inner);

        /// <summary>Reads acks in order until the last packet's; on a failure records it and cancels the sender.</summary>
        public async Task ReadAcksAsync(FrameConnection connection, SemaphoreSlim window, CancellationTokenSource failed)
        {
            try
            {
                while (true)
                {
                    PipelineAck ack = await connection.ReadAckAsync(failed.Token).ConfigureAwait(false);
                    if (!_inFlight.TryDequeue(out var packet) || ack.Seqno != packet.Seqno)
                    {
                        throw new BlockProtocolException($"ack for packet {ack.Seqno}, none of that number in flight");
                    }
                    if (!ack.AllOk)
                    {
                        int index = ack.FirstFailure;
                        Failure = Failed(index, ack.Statuses[index], ack.Message);
                        break;
                    }
                    if (ack.Statuses.Count != pipeline.Count)
                    {
                        throw new BlockProtocolException($"ack with {ack.Statuses.Count} statuses from a pipeline of {pipeline.Count}");
                    }
                    Interlocked.Exchange(ref _acked, packet.End);
                    window.Release();
                    if (packet.Last)
                    {
                        return;
                    }
                }
            }
            catch (Exception e) when (IsConnectionFailure(e) || e is OperationCanceledException)
            {
                Failure ??= failed.IsCancellationRequested && e is OperationCanceledException ? null : Failed(0, TransferStatus.Unreachable, e.Message, e);
            }
            await failed.CancelAsync().ConfigureAwait(false);
        }
    }
}
