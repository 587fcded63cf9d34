using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Colony.Storage.Blocks.Transfer;

namespace Colony.Client.Blocks;

/// <summary>
/// One TCP connection carrying block transfer frames. Frames are read whole into pooled buffers, so a data packet
/// can be verified, written to disk and forwarded downstream from the same bytes. Every read has a deadline.
/// Reading and writing may run concurrently (one reader, one writer). With <see cref="BlockTransferOptions.Tls"/>
/// set, the frames travel inside mutual TLS, negotiated before the first frame.
/// </summary>
internal sealed class FrameConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private Stream _stream;
    private readonly TimeSpan _readTimeout;
    private readonly CancellationTokenSource _readDeadline;
    private readonly byte[] _header = new byte[FrameHeader.Size];
    private RecordBatchingStream? _batching;

    private FrameConnection(Socket socket, TimeSpan readTimeout, CancellationToken cancellationToken)
    {
        _socket = socket;
        _socket.NoDelay = true;
        Remote = socket.RemoteEndPoint?.ToString() ?? "?";
        _stream = new NetworkStream(socket, ownsSocket: true);
        _readTimeout = readTimeout;
        _readDeadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    }

    public string Remote { get; }

    /// <summary>The TLS cipher suite in use, or null on a plain connection.</summary>
    internal TlsCipherSuite? CipherSuite => (_stream as SslStream)?.NegotiatedCipherSuite;

    public static FrameConnection Accepted(Socket socket, TimeSpan readTimeout, CancellationToken cancellationToken) =>
        new(socket, readTimeout, cancellationToken);

    /// <summary>Connects to "host:port" within the connect timeout.</summary>
    public static async Task<FrameConnection> ConnectAsync(string address, BlockTransferOptions options, CancellationToken cancellationToken)
    {
        (string host, int port) = ParseAddress(address);
        Socket socket;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.ConnectTimeout);
            socket = await (options.ConnectCallback ?? DirectConnect.ConnectAsync)(new DnsEndPoint(host, port), timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"connecting to {address} timed out after {options.ConnectTimeout}");
        }
        var connection = new FrameConnection(socket, options.ReadTimeout, cancellationToken);
        if (options.Tls is { } trust)
        {
            await connection.SecureAsync(options, ssl => ssl.AuthenticateAsClientAsync(WithBulkCiphers(trust.ClientOptions(host)), cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        return connection;
    }

    /// <summary>The accepting side's TLS handshake, when the options ask for TLS; a certificate from the cluster's CA is required.</summary>
    public Task AuthenticateAsync(BlockTransferOptions options, CancellationToken cancellationToken) =>
        options.Tls is { } trust
            ? SecureAsync(options, ssl => ssl.AuthenticateAsServerAsync(WithBulkCiphers(trust.ServerOptions()), cancellationToken), cancellationToken)
            : Task.CompletedTask;

    /// <summary>Runs a TLS handshake within the connect timeout; the connection continues inside the session.</summary>
    private async Task SecureAsync(BlockTransferOptions options, Func<SslStream, Task> handshake, CancellationToken cancellationToken)
    {
        var batching = new RecordBatchingStream(_stream);
        var ssl = new SslStream(batching, leaveInnerStreamOpen: false);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        using var abort = timeout.Token.UnsafeRegister(static socket => ((Socket)socket!).Dispose(), _socket);
        try
        {
            await handshake(ssl).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            if (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"the TLS handshake with {Remote} timed out after {options.ConnectTimeout}");
            }
            throw e is AuthenticationException ? new IOException($"TLS with {Remote} failed: {e.InnerException?.Message ?? e.Message}", e) : e;
        }
        _stream = ssl;
        _batching = batching;
    }

    /// <summary>
    /// TLS 1.3 with AES-128-GCM first: as safe for the cluster's traffic as the AES-256-GCM that OpenSSL prefers, and
    /// cheaper per byte, which counts on block transfers, where every byte is encrypted and decrypted at every hop.
    /// Only Linux lets a program choose (elsewhere the platform's order stays).
    /// </summary>
    private static SslClientAuthenticationOptions WithBulkCiphers(SslClientAuthenticationOptions options)
    {
        options.CipherSuitesPolicy = BulkCiphers;
        return options;
    }

    private static SslServerAuthenticationOptions WithBulkCiphers(SslServerAuthenticationOptions options)
    {
        options.CipherSuitesPolicy = BulkCiphers;
        return options;
    }

    private static readonly CipherSuitesPolicy? BulkCiphers = OperatingSystem.IsLinux() ? new CipherSuitesPolicy(
    [
        TlsCipherSuite.TLS_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256,
        // TLS 1.2, for a peer that offers nothing newer.
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ]) : null;

    public static (string Host, int Port) ParseAddress(string address)
    {
        int colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is 0 or > 65535)
        {
            throw new ArgumentException($"'{address}' is not host:port", nameof(address));
        }
        string host = address[..colon].Trim('[', ']');
        return (host, port);
    }

    /// <summary>Reads the next frame whole. Returns null on a clean end of stream before a frame starts.</summary>
    public async Task<PooledFrame?> ReadFrameAsync(CancellationToken cancellationToken = default)
    {
        _readDeadline.CancelAfter(_readTimeout);
        using CancellationTokenRegistration link = cancellationToken.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), _readDeadline);
        try
        {
            int got = await _stream.ReadAtLeastAsync(_header, FrameHeader.Size, throwOnEndOfStream: false, _readDeadline.Token).ConfigureAwait(false);
            if (got == 0)
            {
                return null;
            }
            if (got < FrameHeader.Size)
            {
                throw new EndOfStreamException("connection closed inside a frame header");
            }
            FrameHeader header = FrameHeader.Read(_header);
            var frame = new PooledFrame(header, FrameHeader.Size + header.BodyLength);
            try
            {
                _header.CopyTo(frame.Buffer, 0);
                await _stream.ReadExactlyAsync(frame.Buffer.AsMemory(FrameHeader.Size, header.BodyLength), _readDeadline.Token).ConfigureAwait(false);
                return frame;
            }
            catch
            {
                frame.Dispose();
                throw;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && _readDeadline.IsCancellationRequested)
        {
            throw new TimeoutException($"no frame from {Remote} within {_readTimeout}");
        }
    }

    /// <summary>Reads a frame that must exist and be of <paramref name="expected"/> type.</summary>
    public async Task<PooledFrame> ReadFrameAsync(FrameType expected, CancellationToken cancellationToken = default)
    {
        PooledFrame frame = await ReadFrameAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new EndOfStreamException($"{Remote} closed the connection");
        if (frame.Header.Type != expected)
        {
            frame.Dispose();
            throw new BlockProtocolException($"expected a {expected} frame, got {frame.Header.Type}");
        }
        return frame;
    }

    /// <summary>Writes <paramref name="bytes"/>; inside TLS, a write longer than one record leaves in one send.</summary>
    public ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default) =>
        _batching is { } batching && bytes.Length > MaxRecordData
            ? WriteBatchedAsync(batching, bytes, cancellationToken)
            : _stream.WriteAsync(bytes, cancellationToken);

    /// <summary>The most plaintext one TLS record carries.</summary>
    private const int MaxRecordData = 16 * 1024;

    private async ValueTask WriteBatchedAsync(RecordBatchingStream batching, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        batching.Gather();
        try
        {
            await _stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            batching.Discard();
            throw;
        }
        await batching.SendGatheredAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask SendAckAsync(PipelineAck ack, CancellationToken cancellationToken = default)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ack.FrameLength);
        try
        {
            int length = ack.WriteFrame(buffer);
            await _stream.WriteAsync(buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public async Task<PipelineAck> ReadAckAsync(CancellationToken cancellationToken = default)
    {
        using PooledFrame frame = await ReadFrameAsync(FrameType.PipelineAck, cancellationToken).ConfigureAwait(false);
        return PipelineAck.Decode(frame.Body.Span);
    }

    /// <summary>
    /// Closes gracefully after a failure reply: stops sending, then reads and discards what the peer still sends
    /// until it closes (or <paramref name="timeout"/>). Closing with unread data would reset the connection, and a
    /// reset can destroy the failure reply before the peer reads it.
    /// </summary>
    public async Task DrainAsync(TimeSpan timeout)
    {
        byte[] scratch = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
            using var deadline = new CancellationTokenSource(timeout);
            while (await _stream.ReadAsync(scratch, deadline.Token).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The peer is gone or slow to close: either way the connection ends here.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>Drops the connection at once (a reset, not a graceful close), unblocking any pending read or write.</summary>
    public void Abort()
    {
        try
        {
            _socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed: nothing to abort.
        }
        _socket.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync().ConfigureAwait(false);
        _readDeadline.Dispose();
    }
}

/// <summary>A whole frame (header included) in a pooled buffer; return it with <see cref="Dispose"/>.</summary>
internal sealed class PooledFrame : IDisposable
{
    private byte[]? _buffer;

    public PooledFrame(FrameHeader header, int length)
    {
        Header = header;
        Length = length;
        _buffer = ArrayPool<byte>.Shared.Rent(length);
    }

    public FrameHeader Header { get; }

    public int Length { get; }

    public byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(PooledFrame));

    public ReadOnlyMemory<byte> Frame => Buffer.AsMemory(0, Length);

    public ReadOnlyMemory<byte> Body => Buffer.AsMemory(FrameHeader.Size, Length - FrameHeader.Size);

    public void Dispose()
    {
        byte[]? buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
