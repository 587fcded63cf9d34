using Colony.Core;
using Colony.Storage.Blocks;

namespace Colony.Storage.Tests.Blocks;

public sealed class BlockMetaHeaderTests
{
    private static readonly BlockVersion Version = new(new BlockId(0x0102030405060708), new GenerationStamp(0x1112131415161718));

    [Fact]
    public void Header_layout_is_frozen()
    {
        byte[] bytes = new byte[BlockMetaHeader.Size];
        new BlockMetaHeader(Version, 65536).Write(bytes);
        Assert.Equal(32, BlockMetaHeader.Size);
        Assert.Equal(
            "43424B4D" + "0100" + "0000" + "00000100" + "0807060504030201" + "1817161514131211",
            Convert.ToHexString(bytes, 0, 28));
        Assert.Equal(Crc32C.Compute(bytes.AsSpan(0, 28)), BitConverter.ToUInt32(bytes, 28));
        Assert.Equal("CBKM", System.Text.Encoding.ASCII.GetString(bytes, 0, 4));
        Assert.Equal((ushort)1, BlockMetaHeader.FormatVersion);
    }

    [Fact]
    public void Header_round_trips()
    {
        byte[] bytes = new byte[BlockMetaHeader.Size];
        var header = new BlockMetaHeader(Version, 512);
        header.Write(bytes);
        Assert.Equal(header, BlockMetaHeader.Read(bytes));
    }

    [Fact]
    public void Checksums_follow_the_header_four_bytes_each()
    {
        Assert.Equal(32, BlockMetaHeader.ChecksumOffset(0));
        Assert.Equal(36, BlockMetaHeader.ChecksumOffset(1));
        var header = new BlockMetaHeader(Version, 512);
        Assert.Equal(32, header.MetaLength(0));
        Assert.Equal(36, header.MetaLength(1));
        Assert.Equal(36, header.MetaLength(512));
        Assert.Equal(40, header.MetaLength(513));
    }

    [Theory]
    [InlineData(0, "not a block meta file")]
    [InlineData(4, "checksum mismatch")]
    [InlineData(28, "checksum mismatch")]
    public void A_damaged_header_is_rejected(int index, string message)
    {
        byte[] bytes = new byte[BlockMetaHeader.Size];
        new BlockMetaHeader(Version, 512).Write(bytes);
        bytes[index] ^= 0xFF;
        InvalidDataException e = Assert.Throws<InvalidDataException>(() => BlockMetaHeader.Read(bytes));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_header_is_rejected() =>
        Assert.Throws<InvalidDataException>(() => BlockMetaHeader.Read(new byte[31]));

    [Fact]
    public void An_unknown_version_or_chunk_size_is_rejected_even_with_a_valid_crc()
    {
        byte[] bytes = new byte[BlockMetaHeader.Size];
        new BlockMetaHeader(Version, 512).Write(bytes);
        bytes[4] = 2;
        Reseal(bytes);
        Assert.Contains("version 2", Assert.Throws<InvalidDataException>(() => BlockMetaHeader.Read(bytes)).Message, StringComparison.Ordinal);

        new BlockMetaHeader(Version, 512).Write(bytes);
        BitConverter.TryWriteBytes(bytes.AsSpan(8), 1000u);
        Reseal(bytes);
        Assert.Contains("chunk size 1000", Assert.Throws<InvalidDataException>(() => BlockMetaHeader.Read(bytes)).Message, StringComparison.Ordinal);
    }

    private static void Reseal(byte[] bytes) => BitConverter.TryWriteBytes(bytes.AsSpan(28), Crc32C.Compute(bytes.AsSpan(0, 28)));
}

public sealed class BlockFileNamesTests
{
    [Fact]
    public void Names_are_frozen()
    {
        var version = new BlockVersion(new BlockId(42), new GenerationStamp(7));
        Assert.Equal("blk_42_7", BlockFileNames.DataName(version));
        Assert.Equal("blk_42_7.meta", BlockFileNames.MetaName(version));
        Assert.Equal(("subdir12", "subdir34"), BlockFileNames.FinalizedSubdirectory(new BlockId(0x123456)));
    }

    [Fact]
    public void Data_names_parse_back()
    {
        Assert.True(BlockFileNames.TryParseDataName("blk_42_7", out BlockVersion? version));
        Assert.Equal(new BlockVersion(new BlockId(42), new GenerationStamp(7)), version);
    }

    [Theory]
    [InlineData("blk_42_7.meta")]
    [InlineData("blk_42")]
    [InlineData("blk__7")]
    [InlineData("blk_0_7")]
    [InlineData("blk_-1_7")]
    [InlineData("x_42_7")]
    [InlineData("blk_42_7_1")]
    public void Other_names_do_not_parse(string name) => Assert.False(BlockFileNames.TryParseDataName(name, out _));
}
