using Colony.Client.MapReduce;

namespace Colony.Client.Tests.MapReduce;

public sealed class FormatTests
{
    [Fact]
    public void Typed_encodings_are_frozen_and_order_preserving()
    {
        Assert.Equal(Convert.FromHexString("8000000000000001"), LongSerde.Encode(1));
        Assert.Equal(Convert.FromHexString("7FFFFFFFFFFFFFFF"), LongSerde.Encode(-1));
        Assert.Equal(Convert.FromHexString("0000000000000000"), LongSerde.Encode(long.MinValue));
        Assert.Equal(-12345L, LongSerde.Decode(LongSerde.Encode(-12345)));

        var ints = new List<byte>();
        new IntSerde().Write(-2, ints);
        Assert.Equal(Convert.FromHexString("7FFFFFFE"), ints.ToArray());

        double[] doubles = [double.NegativeInfinity, -1e300, -2.5, -0.0, 0.0, 1e-300, 3.25, double.PositiveInfinity];
        var serde = new DoubleSerde();
        byte[][] encoded = doubles.Select(d => { var b = new List<byte>(); serde.Write(d, b); return b.ToArray(); }).ToArray();
        for (int i = 1; i < encoded.Length; i++)
        {
            Assert.True(encoded[i - 1].AsSpan().SequenceCompareTo(encoded[i]) < 0, $"{doubles[i - 1]} sorts before {doubles[i]}");
        }
        Assert.Equal(doubles, encoded.Select(b => serde.Read(b)));
        Assert.Equal(Convert.FromHexString("C00A000000000000"), encoded[6]);
    }

    [Fact]
    public void A_segment_is_length_framed_with_a_counting_trailer()
    {
        var stream = new MemoryStream();
        using (var writer = new SegmentWriter(stream))
        {
            writer.Write("ab"u8, "c"u8);
            writer.Write([], []);
            writer.EndSegment();
            writer.Flush();
        }

        // varint(key + 1) varint(value) key value ..., 0, int64 records, int64 record bytes (little-endian).
        Assert.Equal(Convert.FromHexString("0301616263" + "0100" + "00" + "0200000000000000" + "0700000000000000"), stream.ToArray());
    }

    [Fact]
    public void A_truncated_or_padded_segment_is_detected()
    {
        var stream = new MemoryStream();
        using (var writer = new SegmentWriter(stream))
        {
            for (int i = 0; i < 1000; i++)
            {
                writer.Write(BitConverter.GetBytes(i), "value"u8);
            }
            writer.EndSegment();
            writer.Flush();
        }
        byte[] whole = stream.ToArray();

        Assert.Equal(1000, ReadAll(whole));
        for (int cut = 1; cut < whole.Length; cut += 97)
        {
            Assert.Throws<InvalidDataException>(() => ReadAll(whole[..^cut]));
        }
        Assert.Throws<InvalidDataException>(() => ReadAll([.. whole, 0]));
    }

    [Fact]
    public void The_partition_index_is_frozen()
    {
        string file = Path.GetTempFileName();
        try
        {
            MapOutputFile.WriteIndex(file, [0, 17], [17, 40]);

            Assert.Equal(
                Convert.FromHexString("494F4D43" + "02000000" + "0000000000000000" + "1100000000000000" + "1100000000000000" + "2800000000000000"),
                File.ReadAllBytes(file));
            Assert.Equal([(0L, 17L), (17L, 40L)], MapOutputFile.ReadIndex(file));
            File.WriteAllBytes(file, File.ReadAllBytes(file)[..^1]);
            Assert.Throws<InvalidDataException>(() => MapOutputFile.ReadIndex(file));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void The_range_partitioner_sends_keys_to_ordered_ranges()
    {
        RangePartitioner partitioner = RangePartitioner.Parse(RangePartitioner.Format(["g"u8.ToArray(), "p"u8.ToArray()]));

        Assert.Equal(0, partitioner.GetPartition("a"u8, 3));
        Assert.Equal(0, partitioner.GetPartition("fzz"u8, 3));
        Assert.Equal(1, partitioner.GetPartition("g"u8, 3));
        Assert.Equal(1, partitioner.GetPartition("ozz"u8, 3));
        Assert.Equal(2, partitioner.GetPartition("p"u8, 3));
        Assert.Equal(2, partitioner.GetPartition("zzz"u8, 3));
        Assert.Equal("67,70", RangePartitioner.Format(["g"u8.ToArray(), "p"u8.ToArray()]));
    }

    [Fact]
    public async Task The_Zipf_corpus_is_deterministic_line_structured_and_skewed()
    {
        var first = new MemoryStream();
        var second = new MemoryStream();
        await ZipfCorpus.WriteAsync(first, 3_000_000, seed: 7);
        await ZipfCorpus.WriteAsync(second, 3_000_000, seed: 7);

        byte[] bytes = first.ToArray();
        Assert.Equal(3_000_000, bytes.Length);
        Assert.Equal(bytes, second.ToArray());
        Assert.Equal((byte)'\n', bytes[^1]);
        var counts = System.Text.Encoding.ASCII.GetString(bytes).Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries)
            .GroupBy(w => w).Select(g => g.Count()).OrderDescending().ToArray();
        // Zipf with exponent 1: the top word is about twice as frequent as the second.
        Assert.InRange((double)counts[0] / counts[1], 1.7, 2.3);
        Assert.True(counts.Length > 10_000);
    }

    private static int ReadAll(byte[] segment)
    {
        using var reader = new SegmentReader(new MemoryStream(segment), segment.Length, "test", ownsStream: true, bufferSize: 64);
        int n = 0;
        while (reader.MoveNext())
        {
            n++;
        }
        return n;
    }
}
