using System.Buffers;
using Colony.Client.Blocks;
using Colony.Storage.Blocks;
using Colony.Storage.Blocks.Transfer;

namespace Colony.Node.Blocks;

/// <summary>
/// Serves a <see cref="ReadBlockRequest"/>: the chunk-aligned range covering the asked bytes, in packets carrying the
/// stored checksums. The node does not verify (the reader does, and reports a corrupt replica), so a read costs the
/// server no CRC work.
/// </summary>
internal static class ReadHandler
{
    public static async Task RunAsync(BlockStore store, BlockTransferOptions options, FrameConnection connection, ReadBlockRequest request, Colony.Node.Diagnostics.BlockTransferCounters counters, CancellationToken cancellationToken)
    {
        ReplicaReader reader;
        try
        {
            reader = store.OpenRead(request.Version);
        }
        catch (BlockStoreException e)
        {
            await SendReplyAsync(connection, ReadBlockReply.Failure(e.Status, e.Message), cancellationToken).ConfigureAwait(false);
            return;
        }
        using (reader)
        {
            if (request.Offset > reader.Length || request.Length > reader.Length - request.Offset)
            {
                await SendReplyAsync(connection, ReadBlockReply.Failure(TransferStatus.InvalidRequest,
                    $"[{request.Offset}, +{request.Length}) is outside {request.Version}, which has {reader.Length} bytes"), cancellationToken).ConfigureAwait(false);
                return;
            }
            int chunkSize = reader.ChunkSize;
            ChunkRange range = ChunkChecksums.Covering(request.Offset, request.Length, reader.Length, chunkSize);
            await SendReplyAsync(connection, new ReadBlockReply(TransferStatus.Ok, chunkSize, reader.Length, range.Offset, range.Length), cancellationToken).ConfigureAwait(false);
            int packetData = options.PacketDataSize(chunkSize);
            // Room around each frame for sealing it in place on a TLS connection.
            int frameLength = FrameConnection.RoomBefore + DataPacketHeader.MaxFrameLength(packetData, chunkSize) + FrameConnection.RoomAfter;
            // Two buffers: the next packet is read from disk while this one is sealed and sent.
            byte[] current = ArrayPool<byte>.Shared.Rent(frameLength);
            byte[] next = ArrayPool<byte>.Shared.Rent(frameLength);
            Task<DataPacketHeader>? reading = null;
            try
            {
                long end = range.Offset + range.Length;
                reading = FillAsync(store, reader, request, current, range.Offset, seqno: 0, (int)Math.Min(packetData, range.Length), end, cancellationToken);
                while (reading is { } pending)
                {
                    DataPacketHeader packet = await pending.ConfigureAwait(false);
                    long following = packet.Offset + packet.DataLength;
                    reading = packet.Last
                        ? null
                        : FillAsync(store, reader, request, next, following, packet.Seqno + 1, (int)Math.Min(packetData, end - following), end, cancellationToken);
                    await connection.WriteInPlaceAsync(current, packet.FrameLength(chunkSize), cancellationToken).ConfigureAwait(false);
                    counters.Read(packet.DataLength);
                    (current, next) = (next, current);
                }
            }
            finally
            {
                if (reading is not null)
                {
                    // A read still in flight writes into a buffer: it must end before the buffer goes back to the pool.
                    await ((Task)reading).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
                ArrayPool<byte>.Shared.Return(current);
                ArrayPool<byte>.Shared.Return(next);
            }
        }
    }

    /// <summary>Reads one packet (headers, stored checksums, data) into <paramref name="buffer"/>, <see cref="FrameConnection.RoomBefore"/> bytes in.</summary>
    private static async Task<DataPacketHeader> FillAsync(BlockStore store, ReplicaReader reader, ReadBlockRequest request, byte[] buffer, long position, long seqno, int length, long end, CancellationToken cancellationToken)
    {
        int chunkSize = reader.ChunkSize;
        Memory<byte> frame = buffer.AsMemory(FrameConnection.RoomBefore);
        var packet = new DataPacketHeader(seqno, position, position + length == end, length);
        packet.WriteHeaders(frame.Span, chunkSize);
        await reader.ReadChecksumsAsync(position / chunkSize, frame.Slice(DataPacketHeader.ChecksumsOffset, packet.ChecksumCount(chunkSize) * sizeof(uint)), cancellationToken).ConfigureAwait(false);
        int read = await reader.ReadDataAsync(position, frame.Slice(packet.DataOffset(chunkSize), length), cancellationToken).ConfigureAwait(false);
        if (read != length)
        {
            store.MarkCorrupt(request.Version);
            throw new BlockStoreException(TransferStatus.Corrupt, $"{request.Version} ends at {position + read}, before its length {reader.Length}");
        }
        return packet;
    }

    public static async Task SendReplyAsync(FrameConnection connection, ReadBlockReply reply, CancellationToken cancellationToken)
    {
        byte[] frame = new byte[reply.FrameLength];
        reply.WriteFrame(frame);
        await connection.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
    }
}
