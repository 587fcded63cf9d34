using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Security.Cryptography;
using Colony.Core;

namespace Colony.Node.Peers;

/// <summary>
/// The mutual challenge–response that opens every peer connection, before any Raft message.
/// <code>
/// client → server  hello      "CLNY" | version u8 | cluster id length u8 | cluster id | client id u64 | server id u64 | client nonce (32)
/// server → client  challenge  status u8 = 0 | server id u64 | server nonce (32) | server proof (32)   (or a non-zero status, then close)
/// client → server  reply      status u8 = 0 | client proof (32)                                      (or a non-zero status, then close)
/// server → client  welcome    status u8 = 0                                                          (or a non-zero status, then close)
/// </code>
/// Integers are big-endian. Each side proves it holds the secret over a fresh nonce of the other's
/// (<see cref="PeerCredentials"/>), so neither a recorded handshake nor a proof reflected from one
/// side to the other authenticates anyone. Every message has a small fixed bound, so nothing the
/// other side claims before it is authenticated can make this side buffer or allocate much.
/// The parsers return false for "need more bytes" and throw <see cref="PeerHandshakeException"/> for malformed input.
/// </summary>
internal static class PeerHandshake
{
    public const byte ProtocolVersion = 1;

    public const int NonceBytes = 32;

    /// <summary>The status byte of a step that succeeded.</summary>
    public const byte StatusOk = 0;

    /// <summary>The largest hello: every other handshake message is smaller.</summary>
    public const int MaxHelloBytes = 4 + 1 + 1 + PeerTransportOptions.MaxClusterIdBytes + 16 + NonceBytes;

    private const int ChallengeBytes = 1 + 8 + NonceBytes + PeerCredentials.ProofBytes;

    private const int ReplyBytes = 1 + PeerCredentials.ProofBytes;

    public static ReadOnlySpan<byte> Magic => "CLNY"u8;

    private delegate bool Parser<T>(ref ReadOnlySequence<byte> buffer, out T value);

    /// <summary>Runs the connecting side: returns once <paramref name="expectedServer"/> has proved itself and welcomed us.</summary>
    public static async Task ConnectAsync(IDuplexPipe transport, PeerCredentials credentials, NodeId expectedServer, CancellationToken cancellationToken)
    {
        byte[] clientNonce = RandomNumberGenerator.GetBytes(NonceBytes);
        WriteHello(transport.Output, new Hello(ProtocolVersion, credentials.ClusterId, credentials.LocalId, expectedServer, clientNonce));
        await FlushAsync(transport.Output, cancellationToken).ConfigureAwait(false);

        var challenge = await ReadAsync<Challenge>(transport.Input, TryReadChallenge, cancellationToken).ConfigureAwait(false);
        if (challenge.Status != StatusOk)
        {
            throw Refused(challenge.Status, $"node {expectedServer} refused the handshake");
        }
        if (challenge.Server != expectedServer)
        {
            throw new PeerHandshakeException(HandshakeFailure.WrongNode, $"expected node {expectedServer}, reached node {challenge.Server}");
        }
        byte[] expectedProof = credentials.ProveAsServer(credentials.LocalId, expectedServer, clientNonce, challenge.Nonce);
        if (!CryptographicOperations.FixedTimeEquals(expectedProof, challenge.Proof))
        {
            await SendStatusAsync(transport.Output, HandshakeFailure.BadProof, cancellationToken).ConfigureAwait(false);
            throw new PeerHandshakeException(HandshakeFailure.BadProof, $"node {expectedServer} failed to prove it holds the cluster secret");
        }
        var reply = transport.Output.GetSpan(ReplyBytes);
        reply[0] = StatusOk;
        credentials.ProveAsClient(credentials.LocalId, expectedServer, clientNonce, challenge.Nonce).CopyTo(reply[1..]);
        transport.Output.Advance(ReplyBytes);
        await FlushAsync(transport.Output, cancellationToken).ConfigureAwait(false);

        byte welcome = await ReadAsync<byte>(transport.Input, TryReadStatus, cancellationToken).ConfigureAwait(false);
        if (welcome != StatusOk)
        {
            throw Refused(welcome, $"node {expectedServer} refused our proof");
        }
    }

    /// <summary>Runs the accepting side: returns the id of the peer once it has proved itself.</summary>
    public static async Task<NodeId> AcceptAsync(IDuplexPipe transport, PeerCredentials credentials, CancellationToken cancellationToken)
    {
        var hello = await ReadAsync<Hello>(transport.Input, TryReadHello, cancellationToken).ConfigureAwait(false);
        if (hello.Version != ProtocolVersion)
        {
            await SendStatusAsync(transport.Output, HandshakeFailure.UnsupportedVersion, cancellationToken).ConfigureAwait(false);
            throw new PeerHandshakeException(HandshakeFailure.UnsupportedVersion, $"peer speaks protocol version {hello.Version}");
        }
        if (!hello.ClusterId.AsSpan().SequenceEqual(credentials.ClusterId))
        {
            await SendStatusAsync(transport.Output, HandshakeFailure.WrongCluster, cancellationToken).ConfigureAwait(false);
            throw new PeerHandshakeException(HandshakeFailure.WrongCluster, $"node {hello.Client} belongs to another cluster");
        }
        if (hello.Server != credentials.LocalId || hello.Client.IsNone || hello.Client == credentials.LocalId)
        {
            await SendStatusAsync(transport.Output, HandshakeFailure.WrongNode, cancellationToken).ConfigureAwait(false);
            throw new PeerHandshakeException(HandshakeFailure.WrongNode, $"node {hello.Client} asked for node {hello.Server}");
        }
        byte[] serverNonce = RandomNumberGenerator.GetBytes(NonceBytes);
        var challenge = transport.Output.GetSpan(ChallengeBytes);
        challenge[0] = StatusOk;
        BinaryPrimitives.WriteUInt64BigEndian(challenge[1..], credentials.LocalId.Value);
        serverNonce.CopyTo(challenge[9..]);
        credentials.ProveAsServer(hello.Client, credentials.LocalId, hello.Nonce, serverNonce).CopyTo(challenge[(9 + NonceBytes)..]);
        transport.Output.Advance(ChallengeBytes);
        await FlushAsync(transport.Output, cancellationToken).ConfigureAwait(false);

        var reply = await ReadAsync<Reply>(transport.Input, TryReadReply, cancellationToken).ConfigureAwait(false);
        if (reply.Status != StatusOk)
        {
            throw Refused(reply.Status, $"node {hello.Client} refused our proof");
        }
        byte[] expectedProof = credentials.ProveAsClient(hello.Client, credentials.LocalId, hello.Nonce, serverNonce);
        if (!CryptographicOperations.FixedTimeEquals(expectedProof, reply.Proof))
        {
            await SendStatusAsync(transport.Output, HandshakeFailure.BadProof, cancellationToken).ConfigureAwait(false);
            throw new PeerHandshakeException(HandshakeFailure.BadProof, $"node {hello.Client} failed to prove it holds the cluster secret");
        }
        await SendStatusAsync(transport.Output, null, cancellationToken).ConfigureAwait(false);
        return hello.Client;
    }

    public static void WriteHello(IBufferWriter<byte> output, Hello hello)
    {
        int length = 4 + 1 + 1 + hello.ClusterId.Length + 16 + NonceBytes;
        var span = output.GetSpan(length);
        Magic.CopyTo(span);
        span[4] = hello.Version;
        span[5] = (byte)hello.ClusterId.Length;
        hello.ClusterId.CopyTo(span[6..]);
        int at = 6 + hello.ClusterId.Length;
        BinaryPrimitives.WriteUInt64BigEndian(span[at..], hello.Client.Value);
        BinaryPrimitives.WriteUInt64BigEndian(span[(at + 8)..], hello.Server.Value);
        hello.Nonce.CopyTo(span[(at + 16)..]);
        output.Advance(length);
    }

    public static bool TryReadHello(ref ReadOnlySequence<byte> buffer, out Hello hello)
    {
        hello = default;
        var reader = new SequenceReader<byte>(buffer);
        Span<byte> magic = stackalloc byte[4];
        if (!reader.TryCopyTo(magic))
        {
            // Reject a wrong prefix from its first bytes: nothing waits on a stranger.
            Span<byte> partial = stackalloc byte[(int)buffer.Length];
            buffer.CopyTo(partial);
            if (!Magic.StartsWith(partial))
            {
                throw new PeerHandshakeException(HandshakeFailure.Malformed, "not a peer handshake");
            }
            return false;
        }
        if (!magic.SequenceEqual(Magic))
        {
            throw new PeerHandshakeException(HandshakeFailure.Malformed, "not a peer handshake");
        }
        reader.Advance(4);
        if (!reader.TryRead(out byte version))
        {
            return false;
        }
        if (version != ProtocolVersion)
        {
            // Another version's layout is unknown: stop here and say so.
            hello = new Hello(version, [], NodeId.None, NodeId.None, []);
            buffer = buffer.Slice(reader.Position);
            return true;
        }
        if (!reader.TryRead(out byte clusterIdLength))
        {
            return false;
        }
        if (clusterIdLength is 0 or > PeerTransportOptions.MaxClusterIdBytes)
        {
            throw new PeerHandshakeException(HandshakeFailure.Malformed, $"cluster id of {clusterIdLength} bytes");
        }
        if (reader.Remaining < clusterIdLength + 16 + NonceBytes)
        {
            return false;
        }
        byte[] clusterId = new byte[clusterIdLength];
        reader.TryCopyTo(clusterId);
        reader.Advance(clusterIdLength);
        reader.TryReadBigEndian(out long client);
        reader.TryReadBigEndian(out long server);
        byte[] nonce = new byte[NonceBytes];
        reader.TryCopyTo(nonce);
        reader.Advance(NonceBytes);
        hello = new Hello(version, clusterId, (ulong)client, (ulong)server, nonce);
        buffer = buffer.Slice(reader.Position);
        return true;
    }

    public static bool TryReadChallenge(ref ReadOnlySequence<byte> buffer, out Challenge challenge)
    {
        challenge = default;
        if (buffer.IsEmpty)
        {
            return false;
        }
        byte status = buffer.FirstSpan[0];
        if (status != StatusOk)
        {
            challenge = new Challenge(status, NodeId.None, [], []);
            buffer = buffer.Slice(1);
            return true;
        }
        if (buffer.Length < ChallengeBytes)
        {
            return false;
        }
        Span<byte> bytes = stackalloc byte[ChallengeBytes];
        buffer.Slice(0, ChallengeBytes).CopyTo(bytes);
        challenge = new Challenge(
            status,
            BinaryPrimitives.ReadUInt64BigEndian(bytes[1..]),
            bytes.Slice(9, NonceBytes).ToArray(),
            bytes[(9 + NonceBytes)..].ToArray());
        buffer = buffer.Slice(ChallengeBytes);
        return true;
    }

    public static bool TryReadReply(ref ReadOnlySequence<byte> buffer, out Reply reply)
    {
        reply = default;
        if (buffer.IsEmpty)
        {
            return false;
        }
        byte status = buffer.FirstSpan[0];
        if (status != StatusOk)
        {
            reply = new Reply(status, []);
            buffer = buffer.Slice(1);
            return true;
        }
        if (buffer.Length < ReplyBytes)
        {
            return false;
        }
        reply = new Reply(status, buffer.Slice(1, PeerCredentials.ProofBytes).ToArray());
        buffer = buffer.Slice(ReplyBytes);
        return true;
    }

    public static bool TryReadStatus(ref ReadOnlySequence<byte> buffer, out byte status)
    {
        status = 0;
        if (buffer.IsEmpty)
        {
            return false;
        }
        status = buffer.FirstSpan[0];
        buffer = buffer.Slice(1);
        return true;
    }

    private static PeerHandshakeException Refused(byte status, string what)
    {
        var failure = (HandshakeFailure)status;
        if (status > (byte)HandshakeFailure.BadProof)
        {
            return new PeerHandshakeException(HandshakeFailure.Malformed, $"{what} with unknown status {status}");
        }
        return new PeerHandshakeException(failure, $"{what}: {failure}");
    }

    /// <summary>Sends a status byte: a failure's code, or OK for null.</summary>
    private static async ValueTask SendStatusAsync(PipeWriter output, HandshakeFailure? failure, CancellationToken cancellationToken)
    {
        output.GetSpan(1)[0] = failure is { } f ? (byte)f : StatusOk;
        output.Advance(1);
        try
        {
            await FlushAsync(output, cancellationToken).ConfigureAwait(false);
        }
        catch (PeerHandshakeException) when (failure is not null)
        {
            // Telling a failing peer why is a courtesy; the failure itself is what the caller reports.
        }
        catch (IOException) when (failure is not null)
        {
        }
    }

    private static async ValueTask FlushAsync(PipeWriter output, CancellationToken cancellationToken)
    {
        var result = await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (result.IsCompleted || result.IsCanceled)
        {
            throw new PeerHandshakeException(HandshakeFailure.ConnectionClosed, "the connection closed during the handshake");
        }
    }

    private static async ValueTask<T> ReadAsync<T>(PipeReader input, Parser<T> parse, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            bool parsed = false;
            T value = default!;
            try
            {
                parsed = parse(ref buffer, out value);
            }
            finally
            {
                input.AdvanceTo(buffer.Start, parsed ? buffer.Start : buffer.End);
            }
            if (parsed)
            {
                return value;
            }
            if (result.IsCompleted || result.IsCanceled)
            {
                throw new PeerHandshakeException(HandshakeFailure.ConnectionClosed, "the connection closed during the handshake");
            }
            if (buffer.Length > MaxHelloBytes)
            {
                throw new PeerHandshakeException(HandshakeFailure.Malformed, "handshake message too long");
            }
        }
    }

    /// <summary>The opening message. For an unsupported version only <see cref="Version"/> is read.</summary>
    internal readonly record struct Hello(byte Version, byte[] ClusterId, NodeId Client, NodeId Server, byte[] Nonce);

    internal readonly record struct Challenge(byte Status, NodeId Server, byte[] Nonce, byte[] Proof);

    internal readonly record struct Reply(byte Status, byte[] Proof);
}
