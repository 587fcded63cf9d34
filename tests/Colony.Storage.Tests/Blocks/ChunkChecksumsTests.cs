using System.Buffers.Binary;
using Colony.Core;
using Colony.Storage.Blocks;

namespace Colony.Storage.Tests.Blocks;

public sealed class ChunkChecksumsTests
{
    [Fact]
    public void Default_chunk_size_is_64_KiB()
    {
        Assert.Equal(65536, ChunkChecksums.DefaultChunkSize);
        Assert.Equal(512, ChunkChecksums.MinChunkSize);
        Assert.Equal(65536, ChunkChecksums.MaxChunkSize);
    }

    [Theory]
    [InlineData(512, true)]
    [InlineData(4096, true)]
    [InlineData(65536, true)]
    [InlineData(256, false)]
    [InlineData(131072, false)]
    [InlineData(1000, false)]
    [InlineData(0, false)]
    [InlineData(-512, false)]
    public void Chunk_sizes_are_powers_of_two_in_range(int size, bool valid) =>
        Assert.Equal(valid, ChunkChecksums.IsValidChunkSize(size));

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(511, 1)]
    [InlineData(512, 1)]
    [InlineData(513, 2)]
    [InlineData(5120, 10)]
    public void Chunk_count_rounds_up(long length, long chunks) => Assert.Equal(chunks, ChunkChecksums.ChunkCount(length, 512));

    [Fact]
    public void Compute_writes_one_little_endian_crc_per_chunk_the_last_one_short()
    {
        byte[] data = Enumerable.Range(0, 1300).Select(i => (byte)(i * 7)).ToArray();
        byte[] checksums = new byte[12];
        ChunkChecksums.Compute(data, 512, checksums);
        Assert.Equal(Crc32C.Compute(data.AsSpan(0, 512)), BinaryPrimitives.ReadUInt32LittleEndian(checksums));
        Assert.Equal(Crc32C.Compute(data.AsSpan(512, 512)), BinaryPrimitives.ReadUInt32LittleEndian(checksums.AsSpan(4)));
        Assert.Equal(Crc32C.Compute(data.AsSpan(1024, 276)), BinaryPrimitives.ReadUInt32LittleEndian(checksums.AsSpan(8)));
        Assert.Equal(-1, ChunkChecksums.FindMismatch(data, 512, checksums));
    }

    [Fact]
    public void FindMismatch_names_the_first_bad_chunk()
    {
        byte[] data = new byte[2048];
        Random.Shared.NextBytes(data);
        byte[] checksums = new byte[16];
        ChunkChecksums.Compute(data, 512, checksums);
        data[1500] ^= 0x10;
        Assert.Equal(2, ChunkChecksums.FindMismatch(data, 512, checksums));
    }

    [Fact]
    public void Too_few_checksum_bytes_is_an_argument_error()
    {
        byte[] data = new byte[1025];
        Assert.Throws<ArgumentException>(() => ChunkChecksums.Compute(data, 512, new byte[8]));
        Assert.Throws<ArgumentException>(() => ChunkChecksums.FindMismatch(data, 512, new byte[8]));
    }

    [Theory]
    [InlineData(0, 0, 0, 0)]
    [InlineData(0, 1, 0, 512)]
    [InlineData(511, 2, 0, 1024)]
    [InlineData(512, 512, 512, 512)]
    [InlineData(700, 100, 512, 512)]
    [InlineData(1000, 300, 512, 788)]
    [InlineData(1300, 0, 1024, 0)]
    [InlineData(700, 0, 512, 0)]
    public void Covering_range_is_chunk_aligned_and_clipped_to_the_block(long offset, long length, long start, long covered)
    {
        ChunkRange range = ChunkChecksums.Covering(offset, length, blockLength: 1300, chunkSize: 512);
        Assert.Equal(start, range.Offset);
        Assert.Equal(covered, range.Length);
        Assert.Equal(start / 512, range.FirstChunk);
    }

    [Fact]
    public void Covering_range_outside_the_block_is_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ChunkChecksums.Covering(1200, 200, 1300, 512));
        Assert.Throws<ArgumentOutOfRangeException>(() => ChunkChecksums.Covering(1301, 0, 1300, 512));
        Assert.Throws<ArgumentOutOfRangeException>(() => ChunkChecksums.Covering(-1, 1, 1300, 512));
    }
}
