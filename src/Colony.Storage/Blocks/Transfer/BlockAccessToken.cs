using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Colony.Core;

namespace Colony.Storage.Blocks.Transfer;

/// <summary>What a block access token lets its bearer do with one block. Values are inside signed tokens: never renumber.</summary>
public enum BlockAccessMode : byte
{
    /// <summary>Read the replica (a <see cref="FrameType.ReadBlock"/> request): handed out with block locations.</summary>
    Read = 1,

    /// <summary>Open a write pipeline for the block (<see cref="FrameType.WriteBlock"/>): handed out with a new block or pipeline.</summary>
    Write = 2,

    /// <summary>Push a finalized replica to another node (a one-node write pipeline): minted by the data node that copies.</summary>
    Copy = 3,
}

/// <summary>Why a data node refused a token, or <see cref="Ok"/>.</summary>
public enum BlockAccessVerdict
{
    Ok,
    Missing,
    Malformed,
    BadSignature,
    WrongBlock,
    WrongMode,
    Expired,
}

/// <summary>
/// A block access token: the namespace's signed permission, handed to a caller it has authorized, to read or
/// write one block version on any data node until <see cref="ExpiresUnixMs"/>. Every node holds the cluster
/// secret, so every node can check (and mint) one without asking the leader. The text form is base64url of:
/// format u8 (1), block id u64, stamp u64, mode u8, expiry (Unix ms) i64, user (u8 length + UTF-8), then the
/// HMAC-SHA256 (32 bytes) of everything before it, keyed by <see cref="DeriveKey"/>. All integers little-endian.
/// Pure: the time to check against comes in as a parameter.
/// </summary>
public sealed record BlockAccessToken(BlockVersion Version, BlockAccessMode Mode, string User, long ExpiresUnixMs)
{
    public const byte Format = 1;

    public const int MacSize = 32;

    /// <summary>Most UTF-8 bytes of the user a token names.</summary>
    public const int MaxUserBytes = 255;

    /// <summary>How long past its expiry a token is still taken: the clocks of the leader and the data nodes may differ that much.</summary>
    public const long ClockSkewGraceMs = 30_000;

    /// <summary>The label that keeps this key apart from every other use of the cluster secret.</summary>
    private static readonly byte[] KeyLabel = "colony block access token key v1"u8.ToArray();

    private const int FixedSize = 1 + 8 + 8 + 1 + 8 + 1;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The signing key for block tokens: HKDF-SHA256 of the cluster secret under a label of its own.</summary>
    public static byte[] DeriveKey(ReadOnlySpan<byte> clusterSecret)
    {
        if (clusterSecret.IsEmpty)
        {
            throw new ArgumentException("the cluster secret is empty", nameof(clusterSecret));
        }
        byte[] key = new byte[MacSize];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, clusterSecret, key, salt: [], info: KeyLabel);
        return key;
    }

    /// <summary>This token, signed with <paramref name="key"/>, in its text form.</summary>
    public string Sign(ReadOnlySpan<byte> key)
    {
        int userBytes = Encoding.UTF8.GetByteCount(User);
        if (userBytes > MaxUserBytes)
        {
            throw new ArgumentException($"user exceeds {MaxUserBytes} UTF-8 bytes", nameof(User));
        }
        byte[] bytes = new byte[FixedSize + userBytes + MacSize];
        bytes[0] = Format;
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(1), Version.Id.Value);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(9), Version.Stamp.Value);
        bytes[17] = (byte)Mode;
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(18), ExpiresUnixMs);
        bytes[26] = (byte)userBytes;
        Encoding.UTF8.GetBytes(User, bytes.AsSpan(FixedSize));
        int signed = bytes.Length - MacSize;
        HMACSHA256.HashData(key, bytes.AsSpan(0, signed), bytes.AsSpan(signed));
        return Base64Url.EncodeToString(bytes);
    }

    /// <summary>The token a text names, whatever its signature; null when the text is not one.</summary>
    public static BlockAccessToken? Parse(string text) => Decode(text, out _, out _);

    /// <summary>
    /// Checks <paramref name="text"/> as the bearer's permission to do <paramref name="needed"/> (any one of them) to
    /// <paramref name="version"/> at <paramref name="nowUnixMs"/>; the signature is checked before anything the token says.
    /// </summary>
    public static BlockAccessVerdict Verify(ReadOnlySpan<byte> key, string text, BlockVersion version, ReadOnlySpan<BlockAccessMode> needed, long nowUnixMs)
    {
        if (string.IsNullOrEmpty(text))
        {
            return BlockAccessVerdict.Missing;
        }
        if (Decode(text, out byte[] bytes, out int signed) is not { } token)
        {
            return BlockAccessVerdict.Malformed;
        }
        Span<byte> mac = stackalloc byte[MacSize];
        HMACSHA256.HashData(key, bytes.AsSpan(0, signed), mac);
        if (!CryptographicOperations.FixedTimeEquals(mac, bytes.AsSpan(signed)))
        {
            return BlockAccessVerdict.BadSignature;
        }
        if (token.Version != version)
        {
            return BlockAccessVerdict.WrongBlock;
        }
        bool allowed = false;
        foreach (BlockAccessMode mode in needed)
        {
            allowed |= mode == token.Mode;
        }
        if (!allowed)
        {
            return BlockAccessVerdict.WrongMode;
        }
        return nowUnixMs - ClockSkewGraceMs > token.ExpiresUnixMs
            ? BlockAccessVerdict.Expired
            : BlockAccessVerdict.Ok;
    }

    /// <summary>A one-line reason for a refusal, for the refusal frame and the node's log.</summary>
    public static string Describe(BlockAccessVerdict verdict, BlockVersion version) => verdict switch
    {
        BlockAccessVerdict.Ok => "",
        BlockAccessVerdict.Missing => $"no block access token for {version}: ask the namespace for the block's locations first",
        BlockAccessVerdict.Malformed => "the block access token is malformed",
        BlockAccessVerdict.BadSignature => "the block access token's signature does not match (another cluster's, or altered)",
        BlockAccessVerdict.WrongBlock => $"the block access token is for another block than {version}",
        BlockAccessVerdict.WrongMode => $"the block access token does not allow this operation on {version}",
        _ => $"the block access token for {version} has expired: ask the namespace for a new one",
    };

    private static BlockAccessToken? Decode(string text, out byte[] bytes, out int signed)
    {
        bytes = [];
        signed = 0;
        if (text.Length > TransferLimits.MaxTokenBytes || !Base64Url.IsValid(text))
        {
            return null;
        }
        bytes = Base64Url.DecodeFromChars(text);
        if (bytes.Length < FixedSize + MacSize || bytes[0] != Format)
        {
            return null;
        }
        int userBytes = bytes[26];
        signed = FixedSize + userBytes;
        if (bytes.Length != signed + MacSize)
        {
            return null;
        }
        var mode = (BlockAccessMode)bytes[17];
        if (mode is not (BlockAccessMode.Read or BlockAccessMode.Write or BlockAccessMode.Copy))
        {
            return null;
        }
        string user;
        try
        {
            user = StrictUtf8.GetString(bytes, FixedSize, userBytes);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
        var version = new BlockVersion(new BlockId(BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(1))), new GenerationStamp(BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(9))));
        return new BlockAccessToken(version, mode, user, BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(18)));
    }
}
