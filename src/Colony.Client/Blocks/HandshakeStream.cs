namespace Colony.Client.Blocks;

/// <summary>
/// Sits under a block connection's <see cref="System.Net.Security.SslStream"/>, which is used only for the handshake
/// and the key exchange (<see cref="SealedChannel"/>). Its reads never cross the end of a TLS record, so the TLS
/// layer cannot read ahead into the sealed records that follow on the same socket; after <see cref="Detach"/> it
/// passes nothing on, so the abandoned TLS session can write nothing into them either.
/// </summary>
internal sealed class HandshakeStream(Stream inner) : Stream
{
    /// <summary>A TLS record header: content type (u8), version (u16), length (u16, big-endian).</summary>
    private const int RecordHeaderSize = 5;

    private readonly byte[] _recordHeader = new byte[RecordHeaderSize];
    private int _headerLeft;
    private int _recordLeft;
    private volatile bool _detached;

    /// <summary>From now on reads see an end of stream and writes are dropped.</summary>
    public void Detach() => _detached = true;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_detached || buffer.IsEmpty)
        {
            return 0;
        }
        if (_headerLeft == 0 && _recordLeft == 0)
        {
            int got = await inner.ReadAtLeastAsync(_recordHeader, RecordHeaderSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (got == 0)
            {
                return 0;
            }
            if (got < RecordHeaderSize)
            {
                throw new EndOfStreamException("connection closed inside a TLS record header");
            }
            _headerLeft = RecordHeaderSize;
            _recordLeft = (_recordHeader[3] << 8) | _recordHeader[4];
        }
        if (_headerLeft > 0)
        {
            int n = Math.Min(_headerLeft, buffer.Length);
            _recordHeader.AsSpan(RecordHeaderSize - _headerLeft, n).CopyTo(buffer.Span);
            _headerLeft -= n;
            return n;
        }
        int read = await inner.ReadAsync(buffer[..Math.Min(buffer.Length, _recordLeft)], cancellationToken).ConfigureAwait(false);
        _recordLeft -= read;
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        _detached ? ValueTask.CompletedTask : inner.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count)
    {
        if (!_detached)
        {
            inner.Write(buffer, offset, count);
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => _detached ? Task.CompletedTask : inner.FlushAsync(cancellationToken);

    public override void Flush()
    {
        if (!_detached)
        {
            inner.Flush();
        }
    }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
