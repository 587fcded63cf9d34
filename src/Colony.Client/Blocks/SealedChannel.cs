using System.Buffers.Binary;
using System.Security.Cryptography;
using Colony.Storage.Blocks.Transfer;
using NSec.Cryptography;

namespace Colony.Client.Blocks;

/// <summary>
/// The record layer of a block connection after its mutual TLS handshake. TLS authenticates both ends and carries
/// fresh keys from the connecting side; from then on every frame travels as one AEGIS-128L record (RFC 10032):
/// <code>
/// kind (u8: 1 control, 2 data) · reserved (3 bytes, zero) · plaintext length (u32, little-endian) · ciphertext · tag (32)
/// </code>
/// The 8-byte header is the associated data. Nonces are never sent: each side counts the records of each kind in each
/// direction, so a record dropped, replayed, reordered or moved to another connection fails to open. Control frames
/// use a key of this connection alone. Data packets use the <see cref="DataKey"/>, which a write pipeline shares from
/// its client down to its last node: a node forwards a packet's record as it arrived instead of decrypting and
/// encrypting it again, so a put through three nodes costs four passes of the cipher instead of six, and each packet
/// is one record and one send instead of sixteen TLS records. AEGIS-128L rather than AES-GCM: both run on the AES
/// instructions, but AEGIS needs no carry-less multiplication pass and runs about three times as fast a core.
/// </summary>
internal sealed class SealedChannel : IDisposable
{
    public const int HeaderSize = 8;
    public const int TagSize = 32;
    public const int KeySize = 16;
    private const int NonceSize = 16;

    /// <summary>What the connecting side sends inside TLS: a version byte, the control key, the data key.</summary>
    public const int KeyMessageSize = 1 + (2 * KeySize);

    /// <summary>The accepting side's one-byte answer inside TLS, the last thing either side reads through TLS.</summary>
    public const byte Confirmation = 1;

    /// <summary>2: AEGIS-128L records (1 was AES-128-GCM); both ends of a cluster are upgraded together.</summary>
    private const byte KeyVersion = 2;
    private const byte ControlKind = 1;
    private const byte DataKind = 2;

    internal static readonly AeadAlgorithm Cipher = AeadAlgorithm.Aegis128L;

    private readonly Key _controlKey;
    private readonly Key _dataKey;
    private readonly bool _dataKeyInherited;
    private readonly byte _sendDirection;
    private readonly byte _receiveDirection;
    private long _controlSent;
    private long _controlReceived;
    private long _dataSent;
    private long _dataReceived;

    private SealedChannel(ReadOnlySpan<byte> controlKey, DataKey dataKey, bool dataKeyInherited, bool connecting)
    {
        _controlKey = Key.Import(Cipher, controlKey, KeyBlobFormat.RawSymmetricKey);
        _dataKey = Key.Import(Cipher, dataKey.Bytes, KeyBlobFormat.RawSymmetricKey);
        DataKey = dataKey;
        _dataKeyInherited = dataKeyInherited;
        _sendDirection = connecting ? (byte)0 : (byte)1;
        _receiveDirection = connecting ? (byte)1 : (byte)0;
    }

    /// <summary>The key of this connection's data packets: fresh, or the upstream connection's in a write pipeline.</summary>
    public DataKey DataKey { get; }

    /// <summary>
    /// The connecting side: fresh keys, or a fresh control key and <paramref name="inheritedDataKey"/>. With an
    /// inherited key this side may only forward data records (<see cref="TryForward"/>), never seal its own: the
    /// upstream client already used every data nonce under that key.
    /// </summary>
    public static SealedChannel Connecting(DataKey? inheritedDataKey, Span<byte> keyMessage)
    {
        Span<byte> controlKey = stackalloc byte[KeySize];
        RandomNumberGenerator.Fill(controlKey);
        DataKey dataKey = inheritedDataKey ?? DataKey.Create();
        keyMessage[0] = KeyVersion;
        controlKey.CopyTo(keyMessage[1..]);
        dataKey.Bytes.CopyTo(keyMessage[(1 + KeySize)..]);
        try
        {
            return new SealedChannel(controlKey, dataKey, inheritedDataKey is not null, connecting: true);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(controlKey);
        }
    }

    /// <summary>The accepting side, from the key message read inside TLS.</summary>
    public static SealedChannel Accepting(ReadOnlySpan<byte> keyMessage)
    {
        if (keyMessage.Length != KeyMessageSize || keyMessage[0] != KeyVersion)
        {
            throw new BlockProtocolException($"unsupported key message (version {(keyMessage.IsEmpty ? -1 : keyMessage[0])}, {keyMessage.Length} bytes)");
        }
        var dataKey = new DataKey(keyMessage.Slice(1 + KeySize, KeySize).ToArray());
        return new SealedChannel(keyMessage.Slice(1, KeySize), dataKey, dataKeyInherited: false, connecting: false);
    }

    /// <summary>How many bytes the record of a <paramref name="frameLength"/>-byte frame takes.</summary>
    public static int RecordLength(int frameLength) => HeaderSize + frameLength + TagSize;

    /// <summary>Seals one whole frame into <paramref name="record"/>; returns the record's length.</summary>
    public int Seal(ReadOnlySpan<byte> frame, Span<byte> record)
    {
        FrameHeader header = FrameHeader.Read(frame);
        if (frame.Length != FrameHeader.Size + header.BodyLength)
        {
            throw new ArgumentException($"a sealed record holds exactly one frame: {frame.Length} bytes for a {FrameHeader.Size + header.BodyLength}-byte frame", nameof(frame));
        }
        bool data = header.Type == FrameType.DataPacket;
        if (data && _dataKeyInherited)
        {
            throw new BlockProtocolException("a pipeline node may only forward data packets as they arrived");
        }
        byte kind = data ? DataKind : ControlKind;
        long counter = data ? _dataSent++ : _controlSent++;
        WriteHeader(record, kind, frame.Length);
        Span<byte> nonce = stackalloc byte[NonceSize];
        WriteNonce(nonce, _sendDirection, kind, counter);
        // Ciphertext then tag, in place when the frame already sits in the record's buffer after the header.
        Cipher.Encrypt(data ? _dataKey : _controlKey, nonce, record[..HeaderSize], frame, record.Slice(HeaderSize, frame.Length + TagSize));
        return RecordLength(frame.Length);
    }

    /// <summary>Checks a record header and returns the length of the frame it carries.</summary>
    public static int ReadHeader(ReadOnlySpan<byte> header, out bool data)
    {
        byte kind = header[0];
        if (kind is not (ControlKind or DataKind) || header[1] != 0 || header[2] != 0 || header[3] != 0)
        {
            throw new BlockProtocolException($"malformed sealed record header (kind {kind})");
        }
        data = kind == DataKind;
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
        int max = FrameHeader.Size + (data ? TransferLimits.MaxPacketBody : TransferLimits.MaxControlBody);
        if (length < FrameHeader.Size || length > (uint)max)
        {
            throw new BlockProtocolException($"sealed record of {length} bytes is outside 8..{max}");
        }
        return (int)length;
    }

    /// <summary>
    /// Opens the record whose header was <paramref name="header"/> (ciphertext and tag in <paramref name="body"/>)
    /// into <paramref name="frame"/>, and returns the frame's header. Returns the data counter the record used in
    /// <paramref name="dataCounter"/> (−1 for a control record).
    /// </summary>
    public FrameHeader Open(ReadOnlySpan<byte> header, ReadOnlySpan<byte> body, Span<byte> frame, out long dataCounter)
    {
        int length = ReadHeader(header, out bool data);
        if (body.Length != length + TagSize || frame.Length < length)
        {
            throw new ArgumentException("record body and frame buffer do not match the header");
        }
        long counter = data ? _dataReceived : _controlReceived;
        Span<byte> nonce = stackalloc byte[NonceSize];
        WriteNonce(nonce, _receiveDirection, header[0], counter);
        if (!Cipher.Decrypt(data ? _dataKey : _controlKey, nonce, header, body, frame[..length]))
        {
            throw new BlockProtocolException("a sealed record failed authentication (altered, replayed, reordered or from another connection)");
        }
        if (data)
        {
            _dataReceived++;
        }
        else
        {
            _controlReceived++;
        }
        FrameHeader frameHeader = FrameHeader.Read(frame[..length]);
        if (FrameHeader.Size + frameHeader.BodyLength != length || (frameHeader.Type == FrameType.DataPacket) != data)
        {
            throw new BlockProtocolException($"sealed record of {length} bytes carries a {frameHeader.Type} frame of {FrameHeader.Size + frameHeader.BodyLength}");
        }
        dataCounter = data ? counter : -1;
        return frameHeader;
    }

    /// <summary>
    /// Whether a data record received on another connection can leave on this one as it is: only under the same data
    /// key, and only as this connection's next data record (so the receiver's count matches the nonce it was sealed
    /// with). Counts it as sent when it can.
    /// </summary>
    public bool TryForward(SealedRecord record)
    {
        if (!ReferenceEquals(record.Key, DataKey) || record.Counter != _dataSent)
        {
            return false;
        }
        _dataSent++;
        return true;
    }

    private static void WriteHeader(Span<byte> record, byte kind, int frameLength)
    {
        record[0] = kind;
        record[1] = 0;
        record[2] = 0;
        record[3] = 0;
        BinaryPrimitives.WriteUInt32LittleEndian(record[4..], (uint)frameLength);
    }

    /// <summary>Direction (u8) · kind (u8) · zero (6 bytes) · counter (u64): unique per key for the life of the connection.</summary>
    private static void WriteNonce(Span<byte> nonce, byte direction, byte kind, long counter)
    {
        nonce.Clear();
        nonce[0] = direction;
        nonce[1] = kind;
        BinaryPrimitives.WriteInt64LittleEndian(nonce[8..], counter);
    }

    public void Dispose()
    {
        _controlKey.Dispose();
        _dataKey.Dispose();
    }
}

/// <summary>A data key of block connections; compared by identity, so only a connection that inherited it forwards under it.</summary>
internal sealed class DataKey(byte[] bytes)
{
    public byte[] Bytes { get; } = bytes;

    public static DataKey Create() => new(RandomNumberGenerator.GetBytes(SealedChannel.KeySize));
}

/// <summary>A data record as it arrived (header, ciphertext, tag) in a pooled buffer, kept so it can be forwarded unopened.</summary>
internal sealed class SealedRecord(byte[] buffer, int length, DataKey key, long counter)
{
    public byte[] Buffer { get; } = buffer;

    public int Length { get; } = length;

    public DataKey Key { get; } = key;

    public long Counter { get; } = counter;

    public ReadOnlyMemory<byte> Bytes => Buffer.AsMemory(0, Length);
}
