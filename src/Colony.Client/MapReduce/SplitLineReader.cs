using System.Buffers;

namespace Colony.Client.MapReduce;

/// <summary>
/// Reads the lines of one split of a file. A line belongs to the split holding its first byte:
/// a split starting mid-line skips to just past the next '\n', and the last line is read to its end
/// even past the split. Line endings ("\n", or "\r\n") are not part of a line.
/// </summary>
internal sealed class SplitLineReader : IDisposable
{
    private readonly Stream stream;
    private readonly long splitEnd;
    private byte[] buffer;
    private int start;
    private int end;
    private bool eof;
    private bool skipFirst;
    private bool finished;

    public SplitLineReader(Stream stream, long splitStart, long splitLength, int bufferSize = 1 << 20)
    {
        this.stream = stream;
        splitEnd = splitStart + splitLength;
        buffer = ArrayPool<byte>.Shared.Rent(bufferSize);
        // Starting one byte early makes "skip through the first '\n'" also right when the split begins a line.
        skipFirst = splitStart > 0;
        Position = skipFirst ? splitStart - 1 : 0;
        stream.Position = Position;
    }

    /// <summary>The file offset of the next unread byte of a record.</summary>
    public long Position { get; private set; }

    public byte[] Buffer => buffer;

    /// <summary>Bytes of the records read so far, line endings included.</summary>
    public long RecordBytes { get; private set; }

    /// <summary>True once every record of the split has been read.</summary>
    public bool Finished => finished;

    /// <summary>The next buffered line as (offset, length) in <see cref="Buffer"/>; false when more bytes are needed or the split is done.</summary>
    public bool TryNextLine(out int offset, out int length)
    {
        offset = 0;
        length = 0;
        if (finished)
        {
            return false;
        }
        if (skipFirst)
        {
            int nl = buffer.AsSpan(start, end - start).IndexOf((byte)'\n');
            if (nl < 0)
            {
                Position += end - start;
                start = end;
                if (eof)
                {
                    finished = true;
                }
                return false;
            }
            Position += nl + 1;
            start += nl + 1;
            skipFirst = false;
        }
        if (Position >= splitEnd)
        {
            finished = true;
            return false;
        }
        int newline = buffer.AsSpan(start, end - start).IndexOf((byte)'\n');
        int consumed;
        if (newline >= 0)
        {
            length = newline;
            consumed = newline + 1;
        }
        else if (eof && end > start)
        {
            length = end - start;
            consumed = length;
        }
        else
        {
            if (eof)
            {
                finished = true;
            }
            return false;
        }
        offset = start;
        if (length > 0 && buffer[start + length - 1] == (byte)'\r')
        {
            length--;
        }
        start += consumed;
        Position += consumed;
        RecordBytes += consumed;
        return true;
    }

    /// <summary>Reads more bytes, keeping the unread part of the buffer; grows the buffer for a line longer than it.</summary>
    public async ValueTask FillAsync(CancellationToken cancellationToken)
    {
        if (eof)
        {
            return;
        }
        if (start > 0)
        {
            buffer.AsSpan(start, end - start).CopyTo(buffer);
            end -= start;
            start = 0;
        }
        if (end == buffer.Length)
        {
            byte[] larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
            buffer.AsSpan(0, end).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = larger;
        }
        int n = await stream.ReadAsync(buffer.AsMemory(end), cancellationToken).ConfigureAwait(false);
        if (n == 0)
        {
            eof = true;
        }
        end += n;
    }

    public void Dispose()
    {
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = [];
        }
    }
}
