using System.Buffers.Binary;

namespace Colony.Client.MapReduce;

/// <summary>
/// The on-disk segment format of map output. A segment is a run of records sorted by key,
/// each <c>varint(keyLength + 1) varint(valueLength) key value</c>, then a varint 0 and a
/// trailer of two little-endian int64s: the record count and the byte length of the records.
/// The trailer lets a reader detect a truncated or padded segment.
/// </summary>
internal static class RecordFormat
{
    public const int TrailerLength = 16;

    public static int VarintLength(uint value)
    {
        int n = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            n++;
        }
        return n;
    }

    public static int WriteVarint(Span<byte> destination, uint value)
    {
        int i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        destination[i++] = (byte)value;
        return i;
    }

    public static void WriteTrailer(Span<byte> destination, long records, long bytes)
    {
        BinaryPrimitives.WriteInt64LittleEndian(destination, records);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], bytes);
    }
}

/// <summary>Writes segments of records to a stream through one large buffer.</summary>
internal sealed class SegmentWriter : IDisposable
{
    private readonly Stream stream;
    private byte[] buffer;
    private int used;
    private long segmentRecords;
    private long segmentBytes;

    public SegmentWriter(Stream stream, int bufferSize = 1 << 20)
    {
        this.stream = stream;
        buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(bufferSize);
    }

    /// <summary>Bytes written through this writer so far.</summary>
    public long Position { get; private set; }

    public long Records { get; private set; }

    public void Write(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        int need = 10 + key.Length + value.Length;
        if (buffer.Length - used < need)
        {
            FlushBuffer();
            if (buffer.Length < need)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
                buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(need);
            }
        }
        Span<byte> span = buffer.AsSpan(used);
        int n = RecordFormat.WriteVarint(span, (uint)key.Length + 1);
        n += RecordFormat.WriteVarint(span[n..], (uint)value.Length);
        key.CopyTo(span[n..]);
        n += key.Length;
        value.CopyTo(span[n..]);
        n += value.Length;
        used += n;
        Position += n;
        segmentBytes += n;
        segmentRecords++;
        Records++;
    }

    /// <summary>Ends the current segment with its trailer and starts the next.</summary>
    public void EndSegment()
    {
        if (buffer.Length - used < 1 + RecordFormat.TrailerLength)
        {
            FlushBuffer();
        }
        buffer[used++] = 0;
        RecordFormat.WriteTrailer(buffer.AsSpan(used), segmentRecords, segmentBytes);
        used += RecordFormat.TrailerLength;
        Position += 1 + RecordFormat.TrailerLength;
        segmentRecords = 0;
        segmentBytes = 0;
    }

    public void Flush()
    {
        FlushBuffer();
        stream.Flush();
    }

    private void FlushBuffer()
    {
        if (used > 0)
        {
            stream.Write(buffer, 0, used);
            used = 0;
        }
    }

    public void Dispose()
    {
        if (buffer.Length > 0)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            buffer = [];
        }
    }
}

/// <summary>Reads one segment record by record; the current key and value stay valid until the next move.</summary>
internal sealed class SegmentReader : IDisposable
{
    private readonly Stream stream;
    private readonly bool ownsStream;
    private readonly string name;
    private byte[] buffer;
    private int pos;
    private int end;
    private long remaining;
    private long records;
    private long bytes;
    private int keyOffset;
    private int keyLength;
    private int valueOffset;
    private int valueLength;

    public SegmentReader(string path, long offset, long length, int bufferSize = 256 << 10)
        : this(OpenAt(path, offset), length, path, ownsStream: true, bufferSize)
    {
    }

    public SegmentReader(Stream stream, long length, string name, bool ownsStream, int bufferSize = 256 << 10)
    {
        this.stream = stream;
        this.ownsStream = ownsStream;
        this.name = name;
        remaining = length;
        buffer = System.Buffers.ArrayPool<byte>.Shared.Rent((int)Math.Min(bufferSize, Math.Max(length, 64)));
    }

    public ReadOnlySpan<byte> Key => buffer.AsSpan(keyOffset, keyLength);

    public ReadOnlySpan<byte> Value => buffer.AsSpan(valueOffset, valueLength);

    /// <summary>Bytes of the segment consumed so far.</summary>
    public long BytesRead => bytes;

    private static FileStream OpenAt(string path, long offset)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        file.Position = offset;
        return file;
    }

    public bool MoveNext()
    {
        uint keyPlusOne = ReadVarint();
        if (keyPlusOne == 0)
        {
            ReadTrailer();
            return false;
        }
        uint valueLen = ReadVarint();
        long total = (long)(keyPlusOne - 1) + valueLen;
        if (total > int.MaxValue - 64)
        {
            throw Corrupt("a record is too large");
        }
        Require((int)total);
        keyOffset = pos;
        keyLength = (int)(keyPlusOne - 1);
        valueOffset = pos + keyLength;
        valueLength = (int)valueLen;
        pos += (int)total;
        bytes += (int)total;
        records++;
        return true;
    }

    private uint ReadVarint()
    {
        uint result = 0;
        for (int shift = 0; shift < 35; shift += 7)
        {
            if (pos == end)
            {
                Require(1);
            }
            byte b = buffer[pos++];
            bytes++;
            result |= (uint)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }
        throw Corrupt("a length is malformed");
    }

    private void ReadTrailer()
    {
        Require(RecordFormat.TrailerLength);
        long expectedRecords = System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(buffer.AsSpan(pos));
        long expectedBytes = System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(buffer.AsSpan(pos + 8));
        pos += RecordFormat.TrailerLength;
        // bytes counted the end marker too; the trailer's figure covers records only.
        if (expectedRecords != records || expectedBytes != bytes - 1 || pos != end || remaining != 0)
        {
            throw Corrupt("its trailer does not match its records");
        }
    }

    /// <summary>Makes at least <paramref name="count"/> unread bytes contiguous in the buffer.</summary>
    private void Require(int count)
    {
        if (end - pos >= count)
        {
            return;
        }
        if (count > buffer.Length)
        {
            byte[] larger = System.Buffers.ArrayPool<byte>.Shared.Rent(count);
            buffer.AsSpan(pos, end - pos).CopyTo(larger);
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            buffer = larger;
        }
        else
        {
            buffer.AsSpan(pos, end - pos).CopyTo(buffer);
        }
        end -= pos;
        pos = 0;
        while (end < count)
        {
            int want = (int)Math.Min(buffer.Length - end, remaining);
            int n = want == 0 ? 0 : stream.Read(buffer, end, want);
            if (n == 0)
            {
                throw Corrupt("it is truncated");
            }
            end += n;
            remaining -= n;
        }
    }

    private InvalidDataException Corrupt(string why) => new($"Map output segment {name} is corrupt: {why}.");

    public void Dispose()
    {
        if (ownsStream)
        {
            stream.Dispose();
        }
        if (buffer.Length > 0)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            buffer = [];
        }
    }
}
