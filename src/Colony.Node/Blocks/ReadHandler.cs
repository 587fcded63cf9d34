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
            byte[] buffer = ArrayPool<byte>.Shared.Rent(DataPacketHeader.MaxFrameLength(packetData, chunkSize));
            try
            {
                long position = range.Offset;
                long end = range.Offset + range.Length;
                long seqno = 0;
                do
                {
                    int length = (int)Math.Min(packetData, end - position);
                    var packet = new DataPacketHeader(seqno++, position, position + length == end, length);
                    packet.WriteHeaders(buffer, chunkSize);
                    await reader.ReadChecksumsAsync(position / chunkSize, buffer.AsMemory(DataPacketHeader.ChecksumsOffset, packet.ChecksumCount(chunkSize) * sizeof(uint)), cancellationToken).ConfigureAwait(false);
                    int read = await reader.ReadDataAsync(position, buffer.AsMemory(packet.DataOffset(chunkSize), length), cancellationToken).ConfigureAwait(false);
                    if (read != length)
                    {
                        store.MarkCorrupt(request.Version);
                        throw new BlockStoreException(TransferStatus.Corrupt, $"{request.Version} ends at {position + read}, before its length {reader.Length}");
                    }
                    await connection.WriteAsync(buffer.AsMemory(0, packet.FrameLength(chunkSize)), cancellationToken).ConfigureAwait(false);
                    counters.Read(length);
                    position += length;
                }
                while (position < end);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    public static async Task SendReplyAsync(FrameConnection connection, ReadBlockReply reply, CancellationToken cancellationToken)
    {
        byte[] frame = new byte[reply.FrameLength];
        reply.WriteFrame(frame);
        await connection.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
    }
}
