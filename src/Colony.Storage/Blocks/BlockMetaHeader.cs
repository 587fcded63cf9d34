using System.Buffers.Binary;
using Colony.Core;

namespace Colony.Storage.Blocks;

/// <summary>
/// The header of a replica's checksum sidecar (<c>blk_ID_STAMP.meta</c>). Layout, little-endian:
/// <code>
///  0  magic "CBKM"           4 bytes
///  4  format version (1)     u16
///  6  reserved (0)           u16
///  8  chunk size             u32
/// 12  block id               u64
/// 20  generation stamp       u64
/// 28  CRC32C of bytes 0..28  u32
/// 32  one CRC32C per chunk   u32 each
/// </code>
/// The block's length is the data file's length; the sidecar holds exactly ceil(length / chunk size) checksums.
/// </summary>
public readonly record struct BlockMetaHeader(BlockVersion Version, int ChunkSize)
{
    /// <summary>"CBKM" read as a little-endian u32.</summary>
    public const uint Magic = 0x4D4B4243;

    public const ushort FormatVersion = 1;

    public const int Size = 32;

    /// <summary>The sidecar's byte offset of chunk <paramref name="chunk"/>'s checksum.</summary>
    public static long ChecksumOffset(long chunk) => Size + (chunk * sizeof(uint));

    /// <summary>The sidecar's length for a block of <paramref name="blockLength"/> bytes.</summary>
    public long MetaLength(long blockLength) => ChecksumOffset(ChunkChecksums.ChunkCount(blockLength, ChunkSize));

    public void Write(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            throw new ArgumentException($"a meta header needs {Size} bytes", nameof(destination));
        }
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], FormatVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], (uint)ChunkSize);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[12..], Version.Id.Value);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[20..], Version.Stamp.Value);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[28..], Crc32C.Compute(destination[..28]));
    }

    /// <summary>Decodes and validates a header; throws <see cref="InvalidDataException"/> on any mismatch.</summary>
    public static BlockMetaHeader Read(ReadOnlySpan<byte> source)
    {
        if (source.Length < Size)
        {
            throw new InvalidDataException($"meta header truncated: {source.Length} of {Size} bytes");
        }
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(source);
        if (magic != Magic)
        {
            throw new InvalidDataException($"not a block meta file (magic 0x{magic:X8})");
        }
        if (Crc32C.Compute(source[..28]) != BinaryPrimitives.ReadUInt32LittleEndian(source[28..]))
        {
            throw new InvalidDataException("meta header checksum mismatch");
        }
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(source[4..]);
        if (version != FormatVersion)
        {
            throw new InvalidDataException($"unsupported meta format version {version}");
        }
        uint chunkSize = BinaryPrimitives.ReadUInt32LittleEndian(source[8..]);
        if (chunkSize > int.MaxValue || !ChunkChecksums.IsValidChunkSize((int)chunkSize))
        {
            throw new InvalidDataException($"invalid chunk size {chunkSize}");
        }
        var block = new BlockVersion(
            new BlockId(BinaryPrimitives.ReadUInt64LittleEndian(source[12..])),
            new GenerationStamp(BinaryPrimitives.ReadUInt64LittleEndian(source[20..])));
        return new BlockMetaHeader(block, (int)chunkSize);
    }
}
