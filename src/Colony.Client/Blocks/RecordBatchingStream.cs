using System.Buffers;

namespace Colony.Client.Blocks;

/// <summary>
/// Sits under an <see cref="System.Net.Security.SslStream"/> and sends the TLS records of one large write in one
/// system call. SslStream cuts a write into records of at most 16 KiB and hands each to the stream below on its own;
/// on a socket with no delay that is a send, a TCP segment and a wake-up of the reader per record: sixteen for one
/// 256 KiB data packet, where the plain path makes one. Between <see cref="Gather"/> and <see cref="SendGatheredAsync"/>
/// the records are copied into one buffer instead; every other write (the handshake's) goes straight through.
/// </summary>
internal sealed class RecordBatchingStream(Stream inner) : Stream
{
    /// <summary>What one batch holds before it is sent: a default 256 KiB packet's records with room to spare.</summary>
    internal const int Capacity = 320 * 1024;

    private readonly Lock _gate = new();
    private byte[]? _batch;
    private int _length;
    private bool _gathering;
    private bool _sending;
    private bool _disposed;

    /// <summary>Writes from now on are kept, in order, until <see cref="SendGatheredAsync"/>.</summary>
    public void Gather()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _batch ??= ArrayPool<byte>.Shared.Rent(Capacity);
            _gathering = true;
        }
    }

    /// <summary>Sends what was gathered in one write and lets later writes through again.</summary>
    public async ValueTask SendGatheredAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _gathering = false;
        }
        await SendBatchAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Drops what was gathered (the write that made it failed, so the connection is done).</summary>
    public void Discard()
    {
        lock (_gate)
        {
            _gathering = false;
            _length = 0;
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            int taken;
            lock (_gate)
            {
                if (!_gathering)
                {
                    break;
                }
                taken = Math.Min(buffer.Length, Capacity - _length);
                buffer.Span[..taken].CopyTo(_batch.AsSpan(_length));
                _length += taken;
            }
            buffer = buffer[taken..];
            if (!buffer.IsEmpty)
            {
                // The batch is full: send it and gather the rest.
                await SendBatchAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        if (!buffer.IsEmpty)
        {
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask SendBatchAsync(CancellationToken cancellationToken)
    {
        int length;
        lock (_gate)
        {
            length = _length;
            _sending = length > 0;
        }
        if (length == 0)
        {
            return;
        }
        try
        {
            await inner.WriteAsync(_batch.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (_gate)
            {
                _length = 0;
                _sending = false;
                if (_disposed)
                {
                    ReturnBatch();
                }
            }
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    public override bool CanRead => inner.CanRead;

    public override bool CanWrite => inner.CanWrite;

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
            lock (_gate)
            {
                _disposed = true;
                _gathering = false;
                if (!_sending)
                {
                    // A send still in flight reads the batch: it goes back to the pool when that send ends.
                    ReturnBatch();
                }
            }
            inner.Dispose();
        }
        base.Dispose(disposing);
    }

    private void ReturnBatch()
    {
        if (_batch is { } batch)
        {
            _batch = null;
            ArrayPool<byte>.Shared.Return(batch);
        }
    }
}
