using Colony.Client.Blocks;

namespace Colony.Node.Tests.Blocks;

/// <summary>The stream under a block connection's TLS that sends one write's records in one call.</summary>
public sealed class RecordBatchingStreamTests
{
    [Fact]
    public async Task Writes_outside_a_batch_go_straight_through()
    {
        var inner = new RecordingStream();
        using var batching = new RecordBatchingStream(inner);

        await batching.WriteAsync(Bytes(10, 1));
        await batching.WriteAsync(Bytes(20, 2));

        Assert.Equal(new[] { 10, 20 }, inner.Writes.Select(w => w.Length));
    }

    [Fact]
    public async Task A_batch_leaves_in_one_write_with_its_bytes_in_order()
    {
        var inner = new RecordingStream();
        using var batching = new RecordBatchingStream(inner);
        byte[] first = Bytes(16_406, 1);
        byte[] second = Bytes(16_406, 2);
        byte[] third = Bytes(500, 3);

        batching.Gather();
        await batching.WriteAsync(first);
        await batching.WriteAsync(second);
        await batching.WriteAsync(third);
        Assert.Empty(inner.Writes);
        await batching.SendGatheredAsync(CancellationToken.None);

        Assert.Single(inner.Writes);
        Assert.Equal(first.Concat(second).Concat(third).ToArray(), inner.Writes[0]);
        await batching.WriteAsync(Bytes(7, 4));
        Assert.Equal(7, inner.Writes[1].Length);
    }

    [Fact]
    public async Task A_batch_larger_than_the_buffer_is_sent_in_pieces_that_join_up()
    {
        var inner = new RecordingStream();
        using var batching = new RecordBatchingStream(inner);
        byte[][] records = Enumerable.Range(0, 30).Select(i => Bytes(16_406, i)).ToArray();

        batching.Gather();
        foreach (byte[] record in records)
        {
            await batching.WriteAsync(record);
        }
        await batching.SendGatheredAsync(CancellationToken.None);

        Assert.Equal(2, inner.Writes.Count);
        Assert.Equal(RecordBatchingStream.Capacity, inner.Writes[0].Length);
        Assert.Equal(records.SelectMany(r => r), inner.Writes.SelectMany(w => w));
    }

    [Fact]
    public async Task A_discarded_batch_is_never_sent()
    {
        var inner = new RecordingStream();
        using var batching = new RecordBatchingStream(inner);

        batching.Gather();
        await batching.WriteAsync(Bytes(100, 1));
        batching.Discard();
        await batching.SendGatheredAsync(CancellationToken.None);

        Assert.Empty(inner.Writes);
    }

    [Fact]
    public async Task Reads_come_from_the_stream_below()
    {
        byte[] data = Bytes(64, 5);
        using var batching = new RecordBatchingStream(new MemoryStream(data));
        byte[] read = new byte[64];

        await batching.ReadExactlyAsync(read);

        Assert.Equal(data, read);
    }

    private static byte[] Bytes(int length, int seed)
    {
        byte[] bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Keeps a copy of each write, to show how the bytes were cut.</summary>
    private sealed class RecordingStream : Stream
    {
        public List<byte[]> Writes { get; } = [];

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Writes.Add(buffer.ToArray());
            return ValueTask.CompletedTask;
        }

        public override void Write(byte[] buffer, int offset, int count) => Writes.Add(buffer.AsSpan(offset, count).ToArray());

        public override int Read(byte[] buffer, int offset, int count) => 0;

        public override void Flush()
        {
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
