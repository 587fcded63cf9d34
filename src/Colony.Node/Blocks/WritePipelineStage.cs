using System.Net.Sockets;
using System.Threading.Channels;
using Colony.Client.Blocks;
using Colony.Storage.Blocks;
using Colony.Storage.Blocks.Transfer;
using Microsoft.Extensions.Logging;

namespace Colony.Node.Blocks;

/// <summary>
/// One node's part in a write pipeline. The receive loop verifies each packet's checksums, forwards the packet's
/// bytes downstream unchanged while writing them locally, and queues the packet for the respond loop; the respond
/// loop waits for the downstream ack of each packet in order and sends upstream this node's status in front of it.
/// The last packet's ack leaves only after the local replica is fsynced and finalized and the downstream ack came.
/// </summary>
internal sealed class WritePipelineStage(
    BlockStore store,
    BlockTransferOptions options,
    FrameConnection upstream,
    WriteBlockRequest request,
    ILogger logger,
    Colony.Node.Diagnostics.BlockTransferCounters counters,
    CancellationToken stopping)
{
    private readonly record struct Received(long Seqno, bool Last, TransferStatus Own, string Message);

    private FrameConnection? _downstream;
    private volatile bool _downstreamBroken;
    private volatile bool _failureSent;

    public async Task RunAsync()
    {
        ReplicaWriter writer;
        try
        {
            writer = request.StartOffset > 0
                ? await store.RecoverAsync(request.Version, request.ChunkSize, request.StartOffset, request.ExpectedLength, stopping).ConfigureAwait(false)
                : await store.CreateAsync(request.Version, request.ChunkSize, request.ExpectedLength, stopping).ConfigureAwait(false);
        }
        catch (BlockStoreException e)
        {
            BlockLog.WriteFailed(logger, request.Version, e.Status, e.Message);
            await upstream.SendAckAsync(new PipelineAck(PipelineAck.SetupSeqno, [e.Status], e.Message), stopping).ConfigureAwait(false);
            await upstream.DrainAsync(options.ReadTimeout).ConfigureAwait(false);
            return;
        }
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(stopping, writer.Revoked);
        try
        {
            PipelineAck? downstreamSetup = await ConnectDownstreamAsync(cancel.Token).ConfigureAwait(false);
            PipelineAck setup = PipelineAck.Prepend(PipelineAck.SetupSeqno, TransferStatus.Ok, downstreamSetup);
            if (!setup.AllOk && request.StartOffset == 0)
            {
                // Nothing was written: drop the empty replica before the writer hears of the failure.
                writer.Abort();
            }
            await upstream.SendAckAsync(setup, cancel.Token).ConfigureAwait(false);
            if (!setup.AllOk)
            {
                _failureSent = true;
                return;
            }
            await StreamAsync(writer, cancel).ConfigureAwait(false);
        }
        finally
        {
            writer.Dispose();
            if (_downstream is not null)
            {
                await _downstream.DisposeAsync().ConfigureAwait(false);
            }
            if (_failureSent)
            {
                await upstream.DrainAsync(options.ReadTimeout).ConfigureAwait(false);
            }
        }
    }

    private async Task<PipelineAck?> ConnectDownstreamAsync(CancellationToken cancellationToken)
    {
        if (request.Targets.Count == 0)
        {
            return null;
        }
        string target = request.Targets[0];
        try
        {
            // Inside TLS the downstream shares the upstream's data key, so packets go on as they came.
            _downstream = await FrameConnection.ConnectAsync(target, options, cancellationToken, upstream.DataKey).ConfigureAwait(false);
            WriteBlockRequest next = request.Downstream();
            byte[] frame = new byte[next.FrameLength];
            next.WriteFrame(frame);
            await _downstream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            return await _downstream.ReadAckAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when ((IsConnectionFailure(e) || e is ArgumentException) && !cancellationToken.IsCancellationRequested)
        {
            // A target that cannot be parsed is as unreachable as one that does not answer.
            _downstreamBroken = true;
            return new PipelineAck(PipelineAck.SetupSeqno, [TransferStatus.Unreachable], $"{target}: {e.Message}");
        }
    }

    private async Task StreamAsync(ReplicaWriter writer, CancellationTokenSource cancel)
    {
        var received = Channel.CreateBounded<Received>(new BoundedChannelOptions(options.Window + 1) { SingleReader = true, SingleWriter = true });
        Task responder = RespondAsync(received.Reader, cancel);
        bool clean = false;
        try
        {
            await ReceiveAsync(writer, received.Writer, cancel.Token).ConfigureAwait(false);
            clean = true;
        }
        finally
        {
            received.Writer.TryComplete();
            if (!clean)
            {
                await cancel.CancelAsync().ConfigureAwait(false);
                _downstream?.Abort();
            }
            try
            {
                await responder.ConfigureAwait(false);
            }
            catch (Exception e) when (!clean && (IsConnectionFailure(e) || e is OperationCanceledException))
            {
                // The receive side already failed; that failure is the one reported.
            }
        }
    }

    private async Task ReceiveAsync(ReplicaWriter writer, ChannelWriter<Received> received, CancellationToken cancellationToken)
    {
        int chunkSize = request.ChunkSize;
        for (long seqno = 0; ; seqno++)
        {
            using PooledFrame frame = await upstream.ReadFrameAsync(FrameType.DataPacket, cancellationToken).ConfigureAwait(false);
            DataPacketHeader packet = DataPacketHeader.Decode(frame.Body.Span, chunkSize);
            if (packet.Seqno != seqno || packet.Offset != writer.Length)
            {
                throw new BlockProtocolException($"packet {packet.Seqno} at {packet.Offset}, expected packet {seqno} at {writer.Length}");
            }
            ReadOnlyMemory<byte> checksums = frame.Frame.Slice(DataPacketHeader.ChecksumsOffset, packet.ChecksumCount(chunkSize) * sizeof(uint));
            ReadOnlyMemory<byte> data = frame.Frame.Slice(packet.DataOffset(chunkSize), packet.DataLength);
            TransferStatus own = TransferStatus.Ok;
            string message = "";
            int bad = ChunkChecksums.FindMismatch(data.Span, chunkSize, checksums.Span);
            if (bad >= 0)
            {
                own = TransferStatus.ChecksumError;
                message = $"checksum mismatch in chunk {(packet.Offset / chunkSize) + bad} of {request.Version}";
            }
            else
            {
                Task forward = Forward(frame, cancellationToken);
                try
                {
                    await writer.WriteAsync(packet.Offset, data, checksums, cancellationToken).ConfigureAwait(false);
                    counters.Written(data.Length);
                    if (packet.Last)
                    {
                        await writer.FinalizeAsync(cancellationToken).ConfigureAwait(false);
                        BlockLog.WriteFinalized(logger, request.Version, writer.Length);
                    }
                }
                catch (BlockStoreException e)
                {
                    own = e.Status;
                    message = e.Message;
                }
                finally
                {
                    // The send reads the pooled frame: it must finish before the frame goes back to the pool.
                    await forward.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
            }
            if (own != TransferStatus.Ok)
            {
                BlockLog.WriteFailed(logger, request.Version, own, message);
            }
            await received.WriteAsync(new Received(packet.Seqno, packet.Last, own, message), cancellationToken).ConfigureAwait(false);
            if (own != TransferStatus.Ok || packet.Last)
            {
                return;
            }
        }
    }

    /// <summary>Sends the packet on as it arrived; a broken downstream is reported in the acks, not thrown.</summary>
    private async Task Forward(PooledFrame frame, CancellationToken cancellationToken)
    {
        if (_downstream is null || _downstreamBroken)
        {
            return;
        }
        try
        {
            await _downstream.ForwardAsync(frame, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsConnectionFailure(e) && !cancellationToken.IsCancellationRequested)
        {
            _downstreamBroken = true;
        }
    }

    private async Task RespondAsync(ChannelReader<Received> received, CancellationTokenSource cancel)
    {
        await foreach (Received packet in received.ReadAllAsync(cancel.Token).ConfigureAwait(false))
        {
            PipelineAck? downstream = packet.Own == TransferStatus.Ok ? await DownstreamAckAsync(packet.Seqno, cancel.Token).ConfigureAwait(false) : null;
            PipelineAck ack = PipelineAck.Prepend(packet.Seqno, packet.Own, downstream, packet.Message);
            await upstream.SendAckAsync(ack, cancel.Token).ConfigureAwait(false);
            if (!ack.AllOk)
            {
                // The writer upstream will rebuild the pipeline; stop receiving.
                _failureSent = true;
                await cancel.CancelAsync().ConfigureAwait(false);
                return;
            }
        }
    }

    private async Task<PipelineAck?> DownstreamAckAsync(long seqno, CancellationToken cancellationToken)
    {
        if (_downstream is null)
        {
            return null;
        }
        string target = request.Targets[0];
        if (!_downstreamBroken)
        {
            try
            {
                PipelineAck ack = await _downstream.ReadAckAsync(cancellationToken).ConfigureAwait(false);
                if (ack.Seqno == seqno && (ack.Statuses.Count == request.Targets.Count || !ack.AllOk))
                {
                    return ack;
                }
                _downstreamBroken = true;
                return new PipelineAck(seqno, [TransferStatus.Unreachable], $"{target} acked packet {ack.Seqno} with {ack.Statuses.Count} statuses, expected packet {seqno}");
            }
            catch (Exception e) when (IsConnectionFailure(e) && !cancellationToken.IsCancellationRequested)
            {
                _downstreamBroken = true;
                return new PipelineAck(seqno, [TransferStatus.Unreachable], $"{target}: {e.Message}");
            }
        }
        return new PipelineAck(seqno, [TransferStatus.Unreachable], $"lost the connection to {target}");
    }

    private static bool IsConnectionFailure(Exception e) =>
        e is IOException or SocketException or TimeoutException or BlockProtocolException or ObjectDisposedException;
}
