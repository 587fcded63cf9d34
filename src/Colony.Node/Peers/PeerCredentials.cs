using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Colony.Core;

namespace Colony.Node.Peers;

/// <summary>
/// Who this node is and what it can prove: its id, the cluster id, and the shared secret, which never
/// leaves this object. Proofs are HMAC-SHA256 under the secret over a transcript that names the role,
/// the cluster, both node ids and both nonces, so a proof made for one side, one connection or one pair
/// of nodes is worthless for any other.
/// </summary>
internal sealed class PeerCredentials
{
    public const int ProofBytes = 32;

    private static ReadOnlySpan<byte> ServerLabel => "colony peer v1 server"u8;

    private static ReadOnlySpan<byte> ClientLabel => "colony peer v1 client"u8;

    private readonly byte[] _secret;

    public PeerCredentials(NodeId localId, string clusterId, ReadOnlySpan<byte> secret)
    {
        LocalId = localId;
        ClusterId = Encoding.UTF8.GetBytes(clusterId);
        _secret = secret.ToArray();
    }

    public static PeerCredentials From(PeerTransportOptions options) => new(options.LocalId, options.ClusterId, options.Secret);

    public NodeId LocalId { get; }

    /// <summary>The cluster id in UTF-8, as it goes on the wire.</summary>
    public byte[] ClusterId { get; }

    /// <summary>What the accepting side proves.</summary>
    public byte[] ProveAsServer(NodeId client, NodeId server, ReadOnlySpan<byte> clientNonce, ReadOnlySpan<byte> serverNonce) =>
        Prove(ServerLabel, client, server, clientNonce, serverNonce);

    /// <summary>What the connecting side proves.</summary>
    public byte[] ProveAsClient(NodeId client, NodeId server, ReadOnlySpan<byte> clientNonce, ReadOnlySpan<byte> serverNonce) =>
        Prove(ClientLabel, client, server, clientNonce, serverNonce);

    private byte[] Prove(ReadOnlySpan<byte> label, NodeId client, NodeId server, ReadOnlySpan<byte> clientNonce, ReadOnlySpan<byte> serverNonce)
    {
        Span<byte> transcript = stackalloc byte[label.Length + 1 + ClusterId.Length + 16 + clientNonce.Length + serverNonce.Length];
        var rest = transcript;
        label.CopyTo(rest);
        rest = rest[label.Length..];
        rest[0] = (byte)ClusterId.Length;
        ClusterId.CopyTo(rest[1..]);
        rest = rest[(1 + ClusterId.Length)..];
        BinaryPrimitives.WriteUInt64BigEndian(rest, client.Value);
        BinaryPrimitives.WriteUInt64BigEndian(rest[8..], server.Value);
        rest = rest[16..];
        clientNonce.CopyTo(rest);
        serverNonce.CopyTo(rest[clientNonce.Length..]);
        return HMACSHA256.HashData(_secret, transcript);
    }
}
