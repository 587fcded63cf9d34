using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;

namespace Colony.Node.Peers;

/// <summary>
/// A connected, blocking socket seen as a pair of pipes, for the handshake that opens a peer
/// connection. Every read and write blocks the calling thread (a connection's own thread), so the
/// handshake's awaits complete synchronously and the socket never enters the runtime's event loop,
/// which would switch it to non-blocking mode for good. To abort a read or write, dispose the socket.
/// Does not own the socket. Over TLS, the same holds for the <see cref="Stream"/> (an SslStream on the
/// socket) it is given instead: its synchronous calls are the ones used.
/// </summary>
internal sealed class SocketDuplexPipe : IDuplexPipe
{
    /// <summary>Every handshake message is far smaller.</summary>
    private const int BufferBytes = 4096;

    public SocketDuplexPipe(Socket socket)
        : this(new BlockingSocketStream(socket))
    {
    }

    public SocketDuplexPipe(Stream tls)
        : this(new SynchronousStream(tls))
    {
    }

    private SocketDuplexPipe(BlockingStream stream)
    {
        Input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: BufferBytes, leaveOpen: true));
        Output = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: BufferBytes, leaveOpen: true));
    }

    public PipeReader Input { get; }

    public PipeWriter Output { get; }

    /// <summary>
    /// Ends the pipes and returns the bytes that were read past the handshake, if any: the start of
    /// the stream that follows it, which the caller must process before reading the socket again.
    /// </summary>
    public byte[] Detach()
    {
        byte[] rest = [];
        if (Input.TryRead(out var result))
        {
            rest = result.Buffer.ToArray();
            Input.AdvanceTo(result.Buffer.End);
        }
        Input.Complete();
        Output.Complete();
        return rest;
    }

    /// <summary>Reads and writes a connected socket with blocking calls.</summary>
    private sealed class BlockingSocketStream(Socket socket) : BlockingStream
    {
        public override int Read(Span<byte> buffer)
        {
            try
            {
                return socket.Receive(buffer);
            }
            catch (SocketException e)
            {
                throw new IOException(e.Message, e);
            }
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            try
            {
                while (!buffer.IsEmpty)
                {
                    buffer = buffer[socket.Send(buffer)..];
                }
            }
            catch (SocketException e)
            {
                throw new IOException(e.Message, e);
            }
        }
    }

    /// <summary>Another stream (TLS over the socket) through its synchronous calls only.</summary>
    private sealed class SynchronousStream(Stream inner) : BlockingStream
    {
        public override int Read(Span<byte> buffer) => inner.Read(buffer);

        public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);
    }

    /// <summary>A stream whose asynchronous calls run synchronously: the socket stays in blocking mode.</summary>
    private abstract class BlockingStream : Stream
    {
        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public abstract override int Read(Span<byte> buffer);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return ValueTask.FromResult(Read(buffer.Span));
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public abstract override void Write(ReadOnlySpan<byte> buffer);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
