using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;

namespace Colony.Coordination.Protocol;

/// <summary>
/// Writes jute's binary encoding straight into an <see cref="IBufferWriter{T}"/> (a PipeWriter, an
/// ArrayBufferWriter) with no intermediate arrays. It fills the span it was given and only advances
/// the output when that span is full or on <see cref="Flush"/>: call Flush before using the output.
/// A writer made with <see cref="Measuring"/> has no output and only counts bytes; the frame writer
/// uses it to learn a frame's length before writing it.
/// </summary>
public ref partial struct JuteWriter
{
    private readonly IBufferWriter<byte>? _output;
    private Span<byte> _span;
    private int _buffered;
    private long _flushed;

    public JuteWriter(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
        _span = default;
        _buffered = 0;
        _flushed = 0;
    }

    /// <summary>A writer that writes nothing and counts what it would have written.</summary>
    public static JuteWriter Measuring() => default;

    /// <summary>Bytes written (or counted) so far, flushed or not.</summary>
    public readonly long BytesWritten => _flushed + _buffered;

    /// <summary>Hands the buffered bytes to the output.</summary>
    public void Flush()
    {
        if (_buffered > 0)
        {
            _output?.Advance(_buffered);
            _flushed += _buffered;
            _buffered = 0;
            _span = default;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteInt32(int value)
    {
        if (_output is null)
        {
            _flushed += sizeof(int);
            return;
        }
        BinaryPrimitives.WriteInt32BigEndian(Reserve(sizeof(int)), value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteInt64(long value)
    {
        if (_output is null)
        {
            _flushed += sizeof(long);
            return;
        }
        BinaryPrimitives.WriteInt64BigEndian(Reserve(sizeof(long)), value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteBool(bool value)
    {
        if (_output is null)
        {
            _flushed += 1;
            return;
        }
        Reserve(1)[0] = value ? (byte)1 : (byte)0;
    }

    /// <summary>A jute buffer; null is written as length -1.</summary>
    public void WriteBuffer(byte[]? value)
    {
        if (value is null)
        {
            WriteInt32(-1);
            return;
        }
        WriteBuffer(value.AsSpan());
    }

    /// <summary>A jute buffer (never null).</summary>
    public void WriteBuffer(ReadOnlySpan<byte> value)
    {
        WriteInt32(value.Length);
        WriteRaw(value);
    }

    /// <summary>A jute ustring in UTF-8; null is written as length -1. Lone surrogates become U+FFFD, as in Java.</summary>
    public void WriteString(string? value)
    {
        if (value is null)
        {
            WriteInt32(-1);
            return;
        }
        int byteCount = Encoding.UTF8.GetByteCount(value);
        WriteInt32(byteCount);
        if (_output is null)
        {
            _flushed += byteCount;
            return;
        }
        if (byteCount <= _span.Length - _buffered)
        {
            _buffered += Encoding.UTF8.GetBytes(value, _span[_buffered..]);
            return;
        }
        WriteStringAcrossSpans(value);
    }

    /// <summary>A vector's element count; the caller then writes the elements.</summary>
    public void WriteVectorCount(int count) => WriteInt32(count);

    /// <summary>Bytes with no length prefix.</summary>
    public void WriteRaw(ReadOnlySpan<byte> value)
    {
        if (_output is null)
        {
            _flushed += value.Length;
            return;
        }
        while (!value.IsEmpty)
        {
            if (_buffered == _span.Length)
            {
                Grow(1);
            }
            int chunk = Math.Min(value.Length, _span.Length - _buffered);
            value[..chunk].CopyTo(_span[_buffered..]);
            _buffered += chunk;
            value = value[chunk..];
        }
    }

    private void WriteStringAcrossSpans(string value)
    {
        ReadOnlySpan<char> rest = value;
        while (true)
        {
            // One code point is at most 4 bytes: ask for at least that so the encoder always progresses.
            if (_span.Length - _buffered < 4)
            {
                Grow(4);
            }
            OperationStatus status = Utf8.FromUtf16(rest, _span[_buffered..], out int read, out int written, replaceInvalidSequences: true);
            _buffered += written;
            rest = rest[read..];
            if (status == OperationStatus.Done)
            {
                return;
            }
            Grow(4);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<byte> Reserve(int count)
    {
        if (_span.Length - _buffered < count)
        {
            Grow(count);
        }
        Span<byte> slice = _span.Slice(_buffered, count);
        _buffered += count;
        return slice;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow(int sizeHint)
    {
        Flush();
        _span = _output!.GetSpan(sizeHint);
    }
}
