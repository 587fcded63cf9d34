using Colony.Core;

namespace Colony.Core.Tests;

public class VarintTests
{
    [Theory]
    [InlineData(0UL, 1)]
    [InlineData(127UL, 1)]
    [InlineData(128UL, 2)]
    [InlineData(16_383UL, 2)]
    [InlineData(16_384UL, 3)]
    [InlineData(uint.MaxValue, 5)]
    [InlineData(ulong.MaxValue, 10)]
    public void Values_round_trip_in_the_expected_size(ulong value, int size)
    {
        var buffer = new byte[Varint.MaxBytes];
        Assert.Equal(size, Varint.Size(value));
        Assert.Equal(size, Varint.Write(buffer, value));
        Assert.Equal(VarintStatus.Ok, Varint.TryRead(buffer, out ulong read, out int length));
        Assert.Equal(value, read);
        Assert.Equal(size, length);
    }

    [Fact]
    public void Every_truncation_is_reported()
    {
        var buffer = new byte[Varint.MaxBytes];
        int size = Varint.Write(buffer, ulong.MaxValue);
        for (int cut = 0; cut < size; cut++)
        {
            Assert.Equal(VarintStatus.Truncated, Varint.TryRead(buffer.AsSpan(0, cut), out _, out _));
        }
    }

    [Fact]
    public void Non_minimal_and_oversized_encodings_are_rejected()
    {
        Assert.Equal(VarintStatus.NotMinimal, Varint.TryRead([0x80, 0x00], out _, out _));
        Assert.Equal(VarintStatus.TooLarge, Varint.TryRead([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02], out _, out _));
    }
}
