using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using Colony.Storage.Blocks.Transfer;

namespace Colony.Client.Blocks;

/// <summary>
/// One TCP connection carrying block transfer frames. Frames are read whole into pooled buffers, so a data packet
/// can be verified, written to disk and forwarded downstream from the same bytes. Every read has a deadline.
/// Reading and writing may run concurrently (one reader, one writer). With <see cref="BlockTransferOptions.Tls"/>
/// set, a mutual TLS handshake authenticates both ends and carries fresh keys, and the frames travel as records
/// sealed with them (<see cref="SealedChannel"/>).
/// </summary>
internal sealed class FrameConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _raw;
    private readonly TimeSpan _readTimeout;
    private readonly CancellationTokenSource _readDeadline;
    private readonly byte[] _header = new byte[Math.Max(FrameHeader.Size, SealedChannel.HeaderSize)];
    private SslStream? _ssl;
    private HandshakeStream? _handshake;
    private SealedChannel? _sealed;
    private bool _confirmationPending;

    private FrameConnection(Socket socket, TimeSpan readTimeout, CancellationToken cancellationToken)
    {
        _socket = socket;
        _socket.NoDelay = true;
        Remote = socket.RemoteEndPoint?.ToString() ?? "?";
        _raw = new NetworkStream(socket, ownsSocket: true);
        _readTimeout = readTimeout;
        _readDeadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    }

    public string Remote { get; }

    /// <summary>The cipher suite of the TLS handshake, or null on a plain connection.</summary>
    internal TlsCipherSuite? CipherSuite => _ssl?.NegotiatedCipherSuite;

    /// <summary>The key of the data packets on a TLS connection (null on a plain one); a pipeline node's downstream inherits its upstream's.</summary>
    internal DataKey? DataKey => _sealed?.DataKey;

    public static FrameConnection Accepted(Socket socket, TimeSpan readTimeout, CancellationToken cancellationToken) =>
        new(socket, readTimeout, cancellationToken);

    /// <summary>
    /// Connects to "host:port" within the connect timeout. A pipeline node passes its upstream connection's
    /// <paramref name="dataKey"/>, so the packets it forwards can leave as they arrived.
    /// </summary>
    public static async Task<FrameConnection> ConnectAsync(string address, BlockTransferOptions options, CancellationToken cancellationToken, DataKey? dataKey = null)
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
            await connection.SecureAsync(options, async ssl =>
            {
                await ssl.AuthenticateAsClientAsync(WithCiphers(trust.ClientOptions(host)), cancellationToken).ConfigureAwait(false);
                // The keys go inside TLS; the first sealed frame may follow at once, and the accepting side's
                // confirmation is read before the first frame (ReadFrameAsync).
                byte[] keys = new byte[SealedChannel.KeyMessageSize];
                var channel = SealedChannel.Connecting(dataKey, keys);
                try
                {
                    await ssl.WriteAsync(keys, cancellationToken).ConfigureAwait(false);
                    await ssl.FlushAsync(cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    channel.Dispose();
                    throw;
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(keys);
                }
                connection._sealed = channel;
                connection._confirmationPending = true;
            }, cancellationToken).ConfigureAwait(false);
        }
        return connection;
    }

    /// <summary>The accepting side's TLS handshake, when the options ask for TLS; a certificate from the cluster's CA is required.</summary>
    public Task AuthenticateAsync(BlockTransferOptions options, CancellationToken cancellationToken) =>
        options.Tls is { } trust
            ? SecureAsync(options, async ssl =>
            {
                await ssl.AuthenticateAsServerAsync(WithCiphers(trust.ServerOptions()), cancellationToken).ConfigureAwait(false);
                byte[] keys = new byte[SealedChannel.KeyMessageSize];
                try
                {
                    await ssl.ReadExactlyAsync(keys, cancellationToken).ConfigureAwait(false);
                    _sealed = SealedChannel.Accepting(keys);
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(keys);
                }
                await ssl.WriteAsync(new[] { SealedChannel.Confirmation }, cancellationToken).ConfigureAwait(false);
                await ssl.FlushAsync(cancellationToken).ConfigureAwait(false);
            }, cancellationToken)
            : Task.CompletedTask;

    /// <summary>Runs a TLS handshake and the key exchange within the connect timeout; frames then travel sealed.</summary>
    private async Task SecureAsync(BlockTransferOptions options, Func<SslStream, Task> handshake, CancellationToken cancellationToken)
    {
        var below = new HandshakeStream(_raw);
        var ssl = new SslStream(below, leaveInnerStreamOpen: false);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        using var abort = timeout.Token.UnsafeRegister(static socket => ((Socket)socket!).Dispose(), _socket);
        try
        {
            await handshake(ssl).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _sealed?.Dispose();
            _sealed = null;
            await ssl.DisposeAsync().ConfigureAwait(false);
            if (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"the TLS handshake with {Remote} timed out after {options.ConnectTimeout}");
            }
            throw e is AuthenticationException ? new IOException($"TLS with {Remote} failed: {e.InnerException?.Message ?? e.Message}", e) : e;
        }
        _ssl = ssl;
        _handshake = below;
    }

    /// <summary>
    /// TLS 1.3 with AES-128-GCM first, TLS 1.3's one mandatory suite; the session carries only the key exchange, so the
    /// choice costs nothing measurable. Only Linux lets a program choose (elsewhere the platform's order stays).
    /// </summary>
    private static SslClientAuthenticationOptions WithCiphers(SslClientAuthenticationOptions options)
    {
        options.CipherSuitesPolicy = Ciphers;
        return options;
    }

    private static SslServerAuthenticationOptions WithCiphers(SslServerAuthenticationOptions options)
    {
        options.CipherSuitesPolicy = Ciphers;
        return options;
    }

    private static readonly CipherSuitesPolicy? Ciphers = OperatingSystem.IsLinux() ? new CipherSuitesPolicy(
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
    public async Task<PooledFrame?> ReadFrameAsync(CancellationToken cancellationToken = default) =>
        await ReceiveAsync(cancellationToken).ConfigureAwait(false) is { } received ? Open(received) : null;

    /// <summary>
    /// Takes the next frame off the socket without opening it (<see cref="Open"/> does), so a reader can receive
    /// one record while the one before is decrypted. Returns null on a clean end of stream before a frame starts.
    /// </summary>
    public async Task<ReceivedFrame?> ReceiveAsync(CancellationToken cancellationToken = default) =>
        await ReceiveAsync(_readTimeout, cancellationToken).ConfigureAwait(false);

    private async Task<ReceivedFrame?> ReceiveAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        _readDeadline.CancelAfter(timeout);
        using CancellationTokenRegistration link = cancellationToken.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), _readDeadline);
        try
        {
            return _sealed is not null
                ? await ReceiveSealedAsync(_readDeadline.Token).ConfigureAwait(false)
                : await ReceivePlainAsync(_readDeadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && _readDeadline.IsCancellationRequested)
        {
            throw new TimeoutException($"no frame from {Remote} within {timeout}");
        }
    }

    /// <summary>
    /// Waits up to <paramref name="idle"/> for the next request on a connection that finished one. Returns null when
    /// the other side closes it or the time passes: either way the connection has simply ended.
    /// </summary>
    public async Task<PooledFrame?> ReadNextRequestAsync(TimeSpan idle, CancellationToken cancellationToken)
    {
        try
        {
            return await ReceiveAsync(idle, cancellationToken).ConfigureAwait(false) is { } received ? Open(received) : null;
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    /// <summary>
    /// Readies a connection whose last exchange ended cleanly (nothing unread, no read pending) to wait for its next
    /// use: stops the read deadline, which would otherwise expire while it waits. False if it can no longer be used.
    /// </summary>
    internal bool TryPark()
    {
        _readDeadline.CancelAfter(Timeout.InfiniteTimeSpan);
        return !_readDeadline.IsCancellationRequested && _socket.Connected;
    }

    /// <summary>
    /// Opens a frame from <see cref="ReceiveAsync"/>, in the order received; takes ownership of it. Throws
    /// <see cref="BlockProtocolException"/> for a record that fails authentication. A data record is kept as it
    /// arrived, for a pipeline node to forward unopened, unless <paramref name="inPlace"/>: then it is decrypted
    /// where it lies, saving a buffer and a pass over memory.
    /// </summary>
    public PooledFrame Open(ReceivedFrame received, bool inPlace = false)
    {
        using (received)
        {
            if (received.Frame is { } plain)
            {
                received.Frame = null;
                return plain;
            }
            byte[] record = received.Record!;
            int recordLength = received.RecordLength;
            int length = recordLength - SealedChannel.HeaderSize - SealedChannel.TagSize;
            ReadOnlySpan<byte> header = record.AsSpan(0, SealedChannel.HeaderSize);
            ReadOnlySpan<byte> body = record.AsSpan(SealedChannel.HeaderSize, recordLength - SealedChannel.HeaderSize);
            if (inPlace)
            {
                FrameHeader opened = _sealed!.Open(header, body, record.AsSpan(SealedChannel.HeaderSize, length), out _);
                received.Record = null;
                return PooledFrame.Adopt(opened, record, SealedChannel.HeaderSize, length, null);
            }
            byte[] frame = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                FrameHeader opened = _sealed!.Open(header, body, frame, out long counter);
                SealedRecord? sealedRecord = counter >= 0 ? new SealedRecord(record, recordLength, _sealed.DataKey, counter) : null;
                if (sealedRecord is not null)
                {
                    received.Record = null;
                }
                return PooledFrame.Adopt(opened, frame, 0, length, sealedRecord);
            }
            catch
            {
                ArrayPool<byte>.Shared.Return(frame);
                throw;
            }
        }
    }

    private async Task<ReceivedFrame?> ReceivePlainAsync(CancellationToken cancellationToken)
    {
        int got = await _raw.ReadAtLeastAsync(_header.AsMemory(0, FrameHeader.Size), FrameHeader.Size, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
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
            _header.AsSpan(0, FrameHeader.Size).CopyTo(frame.Buffer);
            await _raw.ReadExactlyAsync(frame.Buffer.AsMemory(FrameHeader.Size, header.BodyLength), cancellationToken).ConfigureAwait(false);
            return new ReceivedFrame { Frame = frame, FrameLength = frame.Length, IsData = header.Type == FrameType.DataPacket };
        }
        catch
        {
            frame.Dispose();
            throw;
        }
    }

    private async Task<ReceivedFrame?> ReceiveSealedAsync(CancellationToken cancellationToken)
    {
        if (_confirmationPending)
        {
            // The last read through TLS: it also takes in whatever the handshake still had in flight.
            byte[] confirmation = new byte[1];
            await _ssl!.ReadExactlyAsync(confirmation, cancellationToken).ConfigureAwait(false);
            if (confirmation[0] != SealedChannel.Confirmation)
            {
                throw new BlockProtocolException($"unexpected key confirmation {confirmation[0]} from {Remote}");
            }
            _confirmationPending = false;
            _handshake!.Detach();
        }
        int got = await _raw.ReadAtLeastAsync(_header.AsMemory(0, SealedChannel.HeaderSize), SealedChannel.HeaderSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (got == 0)
        {
            return null;
        }
        if (got < SealedChannel.HeaderSize)
        {
            throw new EndOfStreamException("connection closed inside a record header");
        }
        int frameLength = SealedChannel.ReadHeader(_header, out bool data);
        int recordLength = SealedChannel.RecordLength(frameLength);
        var received = new ReceivedFrame { Record = ArrayPool<byte>.Shared.Rent(recordLength), RecordLength = recordLength, FrameLength = frameLength, IsData = data };
        try
        {
            _header.AsSpan(0, SealedChannel.HeaderSize).CopyTo(received.Record);
            await _raw.ReadExactlyAsync(received.Record.AsMemory(SealedChannel.HeaderSize, recordLength - SealedChannel.HeaderSize), cancellationToken).ConfigureAwait(false);
            return received;
        }
        catch
        {
            received.Dispose();
            throw;
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

    /// <summary>Writes one whole frame; on a TLS connection it leaves as one sealed record.</summary>
    public ValueTask WriteAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken = default) =>
        _sealed is { } channel ? WriteSealedAsync(channel, frame, cancellationToken) : _raw.WriteAsync(frame, cancellationToken);

    private async ValueTask WriteSealedAsync(SealedChannel channel, ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        byte[] record = ArrayPool<byte>.Shared.Rent(SealedChannel.RecordLength(frame.Length));
        try
        {
            int length = channel.Seal(frame.Span, record);
            await _raw.WriteAsync(record.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(record);
        }
    }

    /// <summary>Bytes free before a frame for <see cref="WriteInPlaceAsync"/>.</summary>
    public const int RoomBefore = SealedChannel.HeaderSize;

    /// <summary>Bytes free after a frame for <see cref="WriteInPlaceAsync"/>.</summary>
    public const int RoomAfter = SealedChannel.TagSize;

    /// <summary>
    /// Writes one whole frame of <paramref name="frameLength"/> bytes lying <see cref="RoomBefore"/> bytes into
    /// <paramref name="buffer"/>, with <see cref="RoomAfter"/> bytes free after it. On a TLS connection it is sealed
    /// where it lies (so the frame's bytes are gone afterwards), saving a buffer and a pass over memory.
    /// </summary>
    public ValueTask WriteInPlaceAsync(byte[] buffer, int frameLength, CancellationToken cancellationToken = default) =>
        _sealed is { } channel
            ? _raw.WriteAsync(buffer.AsMemory(0, channel.Seal(buffer.AsSpan(RoomBefore, frameLength), buffer)), cancellationToken)
            : _raw.WriteAsync(buffer.AsMemory(RoomBefore, frameLength), cancellationToken);

    /// <summary>
    /// Sends on a frame read from another connection: a data record under this connection's (inherited) data key
    /// leaves exactly as it arrived, anything else is written afresh.
    /// </summary>
    public ValueTask ForwardAsync(PooledFrame frame, CancellationToken cancellationToken = default) =>
        _sealed is { } channel && frame.Sealed is { } record && channel.TryForward(record)
            ? _raw.WriteAsync(record.Bytes, cancellationToken)
            : WriteAsync(frame.Frame, cancellationToken);

    public async ValueTask SendAckAsync(PipelineAck ack, CancellationToken cancellationToken = default)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ack.FrameLength);
        try
        {
            int length = ack.WriteFrame(buffer);
            await WriteAsync(buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
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
            // Raw bytes: nothing read here is opened, so a sealed connection drains the same way.
            while (await _raw.ReadAsync(scratch, deadline.Token).ConfigureAwait(false) > 0)
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
        if (_ssl is { } ssl)
        {
            // The TLS session was left after the key exchange: it must not write into the sealed stream now.
            _handshake!.Detach();
            await ssl.DisposeAsync().ConfigureAwait(false);
        }
        await _raw.DisposeAsync().ConfigureAwait(false);
        _sealed?.Dispose();
        _readDeadline.Dispose();
    }
}

/// <summary>A frame as it came off the socket: a plain frame, or a sealed record not yet opened. Pooled; dispose it if not opened.</summary>
internal sealed class ReceivedFrame : IDisposable
{
    internal PooledFrame? Frame { get; set; }

    internal byte[]? Record { get; set; }

    internal int RecordLength { get; init; }

    /// <summary>The length of the frame inside, known before it is opened (a sealed record's header carries it).</summary>
    internal int FrameLength { get; init; }

    /// <summary>Whether it is a data packet, known before it is opened.</summary>
    internal bool IsData { get; init; }

    public void Dispose()
    {
        Frame?.Dispose();
        Frame = null;
        if (Record is { } record)
        {
            Record = null;
            ArrayPool<byte>.Shared.Return(record);
        }
    }
}

/// <summary>A whole frame (header included) in a pooled buffer; return it with <see cref="Dispose"/>.</summary>
internal sealed class PooledFrame : IDisposable
{
    private readonly int _offset;
    private byte[]? _buffer;
    private SealedRecord? _sealed;

    /// <summary>An empty frame of <paramref name="length"/> bytes at the start of <see cref="Buffer"/>, to be filled.</summary>
    public PooledFrame(FrameHeader header, int length)
        : this(header, ArrayPool<byte>.Shared.Rent(length), 0, length, null)
    {
    }

    private PooledFrame(FrameHeader header, byte[] buffer, int offset, int length, SealedRecord? sealedRecord)
    {
        Header = header;
        Length = length;
        _buffer = buffer;
        _offset = offset;
        _sealed = sealedRecord;
    }

    /// <summary>Takes ownership of a pooled <paramref name="buffer"/> holding the frame at <paramref name="offset"/>, and of the record it came in.</summary>
    internal static PooledFrame Adopt(FrameHeader header, byte[] buffer, int offset, int length, SealedRecord? sealedRecord) => new(header, buffer, offset, length, sealedRecord);

    public FrameHeader Header { get; }

    public int Length { get; }

    /// <summary>The pooled buffer; the frame starts at its beginning only for a frame made by the public constructor.</summary>
    internal byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(PooledFrame));

    /// <summary>The data record this frame arrived in, unopened, or null.</summary>
    internal SealedRecord? Sealed => _sealed;

    public ReadOnlyMemory<byte> Frame => Buffer.AsMemory(_offset, Length);

    public ReadOnlyMemory<byte> Body => Buffer.AsMemory(_offset + FrameHeader.Size, Length - FrameHeader.Size);

    public void Dispose()
    {
        byte[]? buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        if (Interlocked.Exchange(ref _sealed, null) is { } record)
        {
            ArrayPool<byte>.Shared.Return(record.Buffer);
        }
    }
}
