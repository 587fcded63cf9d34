using Colony.Client.Blocks;

namespace Colony.Node.Tests.Blocks;

/// <summary>The stream under a block connection's TLS handshake, which must not read past a TLS record's end.</summary>
public sealed class HandshakeStreamTests
{
    [Fact]
    public async Task Reads_stop_at_the_end_of_each_tls_record_whatever_the_buffer_size()
    {
        byte[] first = TlsRecord(300, fill: 1);
        byte[] second = TlsRecord(20, fill: 2);
        byte[] after = [9, 9, 9, 9, 9, 9, 9, 9];
        var inner = new MemoryStream([.. first, .. second, .. after]);
        using var stream = new HandshakeStream(inner);
        byte[] buffer = new byte[4096];

        Assert.Equal(first, await ReadRecordAsync(stream, buffer));
        Assert.Equal(first.Length, inner.Position);
        Assert.Equal(second, await ReadRecordAsync(stream, buffer));
        Assert.Equal(first.Length + second.Length, inner.Position);
    }

    [Fact]
    public async Task A_header_asked_for_a_byte_at_a_time_comes_whole_and_in_order()
    {
        byte[] record = TlsRecord(3, fill: 7);
        using var stream = new HandshakeStream(new MemoryStream(record));
        var seen = new List<byte>();
        byte[] one = new byte[1];

        while (await stream.ReadAsync(one) == 1)
        {
            seen.Add(one[0]);
        }

        Assert.Equal(record, seen);
    }

    [Fact]
    public async Task After_detach_nothing_is_read_or_written()
    {
        var inner = new MemoryStream();
        inner.Write(TlsRecord(10, fill: 3));
        inner.Position = 0;
        using var stream = new HandshakeStream(inner);

        stream.Detach();
        await stream.WriteAsync(new byte[] { 1, 2, 3 });

        Assert.Equal(0, await stream.ReadAsync(new byte[64]));
        Assert.Equal(0, inner.Position);
        Assert.Equal(15, inner.Length);
    }

    [Fact]
    public async Task A_connection_closed_inside_a_record_header_is_an_error()
    {
        using var stream = new HandshakeStream(new MemoryStream([23, 3, 3]));

        await Assert.ThrowsAsync<EndOfStreamException>(async () => await stream.ReadAtLeastAsync(new byte[64], 1));
    }

    /// <summary>Reads one record through the stream: the reads must end exactly at its last byte.</summary>
    private static async Task<byte[]> ReadRecordAsync(HandshakeStream stream, byte[] buffer)
    {
        var record = new List<byte>();
        int header = await stream.ReadAsync(buffer);
        record.AddRange(buffer.AsSpan(0, header));
        int length = (record[3] << 8) | record[4];
        while (record.Count < 5 + length)
        {
            int n = await stream.ReadAsync(buffer);
            Assert.True(n > 0);
            record.AddRange(buffer.AsSpan(0, n));
        }
        return [.. record];
    }

    private static byte[] TlsRecord(int length, byte fill)
    {
        byte[] record = new byte[5 + length];
        record[0] = 23; // application data
        record[1] = 3;
        record[2] = 3;
        record[3] = (byte)(length >> 8);
        record[4] = (byte)length;
        record.AsSpan(5).Fill(fill);
        return record;
    }
}
