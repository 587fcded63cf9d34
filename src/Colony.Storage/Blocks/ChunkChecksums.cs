using System.Buffers.Binary;
using Colony.Core;

namespace Colony.Storage.Blocks;

/// <summary>
/// A block is checksummed in fixed-size chunks: one CRC32C per chunk, the last chunk possibly short.
/// These helpers work on spans and allocate nothing, so the data path can call them per packet.
/// </summary>
public static class ChunkChecksums
{
    /// <summary>
    /// 64 KiB: hardware CRC32C costs the same per byte whatever the chunk size, so large chunks only cut
    /// per-chunk overhead (4 bytes of sidecar per 64 KiB, one loop step per chunk); the price is that a read
    /// of a few bytes must fetch and verify up to 64 KiB, which is one I/O on any disk.
    /// </summary>
    public const int DefaultChunkSize = 64 * 1024;

    /// <summary>The smallest chunk size a replica may use (small sizes exist for tests and tiny blocks).</summary>
    public const int MinChunkSize = 512;

    /// <summary>The largest chunk size a replica may use.</summary>
    public const int MaxChunkSize = 64 * 1024;

    /// <summary>True for a power of two between <see cref="MinChunkSize"/> and <see cref="MaxChunkSize"/>.</summary>
    public static bool IsValidChunkSize(int chunkSize) =>
        chunkSize is >= MinChunkSize and <= MaxChunkSize && (chunkSize & (chunkSize - 1)) == 0;

    /// <summary>How many chunks (hence checksums) cover <paramref name="length"/> bytes.</summary>
    public static long ChunkCount(long length, int chunkSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        return (length + chunkSize - 1) / chunkSize;
    }

    /// <summary>Writes one little-endian CRC32C per chunk of <paramref name="data"/> into <paramref name="checksums"/>.</summary>
    public static void Compute(ReadOnlySpan<byte> data, int chunkSize, Span<byte> checksums)
    {
        int chunks = checked((int)ChunkCount(data.Length, chunkSize));
        if (checksums.Length < chunks * sizeof(uint))
        {
            throw new ArgumentException($"{chunks} chunks need {chunks * sizeof(uint)} bytes of checksums", nameof(checksums));
        }
        for (int i = 0; i < chunks; i++)
        {
            ReadOnlySpan<byte> chunk = data.Slice(i * chunkSize, Math.Min(chunkSize, data.Length - (i * chunkSize)));
            BinaryPrimitives.WriteUInt32LittleEndian(checksums[(i * sizeof(uint))..], Crc32C.Compute(chunk));
        }
    }

    /// <summary>
    /// Checks each chunk of <paramref name="data"/> against its stored checksum. Returns the index (within
    /// <paramref name="data"/>) of the first bad chunk, or −1 when every chunk matches.
    /// </summary>
    public static int FindMismatch(ReadOnlySpan<byte> data, int chunkSize, ReadOnlySpan<byte> checksums)
    {
        int chunks = checked((int)ChunkCount(data.Length, chunkSize));
        if (checksums.Length < chunks * sizeof(uint))
        {
            throw new ArgumentException($"{chunks} chunks need {chunks * sizeof(uint)} bytes of checksums", nameof(checksums));
        }
        for (int i = 0; i < chunks; i++)
        {
            ReadOnlySpan<byte> chunk = data.Slice(i * chunkSize, Math.Min(chunkSize, data.Length - (i * chunkSize)));
            if (Crc32C.Compute(chunk) != BinaryPrimitives.ReadUInt32LittleEndian(checksums[(i * sizeof(uint))..]))
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>
    /// The chunk-aligned range that covers [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="length"/>)
    /// within a block of <paramref name="blockLength"/> bytes: what a reader must fetch to verify those bytes.
    /// </summary>
    public static ChunkRange Covering(long offset, long length, long blockLength, int chunkSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (offset > blockLength || length > blockLength - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(length), $"[{offset}, +{length}) is outside a block of {blockLength} bytes");
        }
        long start = offset / chunkSize * chunkSize;
        if (length == 0)
        {
            return new ChunkRange(start, 0, chunkSize);
        }
        long end = Math.Min(blockLength, ChunkCount(offset + length, chunkSize) * chunkSize);
        return new ChunkRange(start, end - start, chunkSize);
    }
}

/// <summary>A chunk-aligned byte range of a block: <see cref="Offset"/> is a multiple of the chunk size.</summary>
public readonly record struct ChunkRange(long Offset, long Length, int ChunkSize)
{
    public long FirstChunk => Offset / ChunkSize;

    public long ChunkCount => ChunkChecksums.ChunkCount(Length, ChunkSize);
}
