using Colony.Core;
using Colony.Storage.Blocks;
using Colony.Storage.Blocks.Transfer;
using Microsoft.Win32.SafeHandles;

namespace Colony.Node.Blocks;

/// <summary>
/// An open finalized replica: positional reads of data and of stored checksums. Raw reads hand out the bytes and
/// checksums as stored (a remote reader verifies them); <see cref="ReadVerifiedAsync"/> checks them here.
/// </summary>
public sealed class ReplicaReader : IDisposable
{
    private readonly SafeFileHandle _data;
    private readonly SafeFileHandle _meta;
    private readonly Action _onClose;
    private int _disposed;

    internal ReplicaReader(BlockVersion version, int chunkSize, long length, SafeFileHandle data, SafeFileHandle meta, Action onClose)
    {
        Version = version;
        ChunkSize = chunkSize;
        Length = length;
        _data = data;
        _meta = meta;
        _onClose = onClose;
    }

    public BlockVersion Version { get; }

    public int ChunkSize { get; }

    public long Length { get; }

    /// <summary>Reads data at <paramref name="offset"/> into <paramref name="buffer"/>, filling it unless the replica ends first.</summary>
    public async ValueTask<int> ReadDataAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int read = await RandomAccess.ReadAsync(_data, buffer[total..], offset + total, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }
            total += read;
        }
        return total;
    }

    /// <summary>Reads the stored checksums of chunks [<paramref name="firstChunk"/>, +count) into <paramref name="destination"/> (4 bytes each).</summary>
    public async ValueTask ReadChecksumsAsync(long firstChunk, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        long offset = BlockMetaHeader.ChecksumOffset(firstChunk);
        int total = 0;
        while (total < destination.Length)
        {
            int read = await RandomAccess.ReadAsync(_meta, destination[total..], offset + total, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new BlockStoreException(TransferStatus.Corrupt, $"{Version}: checksum file is shorter than its data");
            }
            total += read;
        }
    }

    /// <summary>
    /// Reads the chunk-aligned <paramref name="range"/> into <paramref name="buffer"/> and verifies it; throws
    /// <see cref="BlockStoreException"/> with <see cref="TransferStatus.Corrupt"/> on a mismatch. Uses
    /// <paramref name="checksumScratch"/> (4 bytes per chunk) for the stored checksums.
    /// </summary>
    public async ValueTask ReadVerifiedAsync(ChunkRange range, Memory<byte> buffer, Memory<byte> checksumScratch, CancellationToken cancellationToken = default)
    {
        int length = checked((int)range.Length);
        int checksumBytes = checked((int)range.ChunkCount * sizeof(uint));
        int read = await ReadDataAsync(range.Offset, buffer[..length], cancellationToken).ConfigureAwait(false);
        if (read != length)
        {
            throw new BlockStoreException(TransferStatus.Corrupt, $"{Version}: data ends at {range.Offset + read}, before {range.Offset + length}");
        }
        await ReadChecksumsAsync(range.FirstChunk, checksumScratch[..checksumBytes], cancellationToken).ConfigureAwait(false);
        int bad = ChunkChecksums.FindMismatch(buffer.Span[..length], ChunkSize, checksumScratch.Span[..checksumBytes]);
        if (bad >= 0)
        {
            throw new BlockStoreException(TransferStatus.Corrupt, $"{Version}: checksum mismatch in chunk {range.FirstChunk + bad} (offset {range.Offset + ((long)bad * ChunkSize)})");
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _data.Dispose();
            _meta.Dispose();
            _onClose();
        }
    }
}
