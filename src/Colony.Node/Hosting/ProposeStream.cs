using System.Buffers.Binary;
using System.Text;
using Colony.Consensus.KeyValue;

namespace Colony.Node.Hosting;

/// <summary>What the node answers to one proposal on a <see cref="ProposeStream"/>. Persisted on the wire: never renumber.</summary>
public enum ProposeReply : byte
{
    /// <summary>Committed, and applied on this node.</summary>
    Committed = 1,

    /// <summary>This node does not lead; the detail is the leader's HTTP address, or empty if unknown.</summary>
    NotLeader = 2,

    /// <summary>The leader refused it (overloaded, or handing over leadership); retry shortly.</summary>
    Rejected = 3,

    /// <summary>Whether it committed is unknown: leadership changed, or it timed out.</summary>
    Unknown = 4,

    /// <summary>The request frame is malformed; the node closes the connection after this reply.</summary>
    Malformed = 5,
}

/// <summary>
/// The key-value write stream: a cheaper way than one HTTP request per write for clients that write a
/// lot, such as the load driver. A client upgrades an HTTP/1.1 connection (<c>GET /kv-stream</c> with
/// <c>Connection: Upgrade</c>, <c>Upgrade: colony-propose</c> and an administrator's bearer token; the node
/// answers 101, or 401/403 without the token), then sends
/// request frames and gets one reply frame per request, in order. A client may send the next request
/// before the previous reply (pipelining). Big-endian:
/// <code>
/// request  length u32 (of the command), key-value command (see KeyValueCommand: kind u8, key length
///          u16, key UTF-8, value length u32, value UTF-8)
/// reply    outcome u8 (ProposeReply), detail length u16, detail UTF-8
/// </code>
/// </summary>
public static class ProposeStream
{
    public const string Path = "/kv-stream";

    public const string UpgradeToken = "colony-propose";

    public const int LengthPrefixBytes = 4;

    /// <summary>The largest command a request may carry: a put with the longest key and value.</summary>
    public const int MaxCommandBytes = 1 + 2 + KeyValueCommand.MaxKeyBytes + 4 + KeyValueCommand.MaxValueBytes;

    /// <summary>The longest reply detail: details are addresses and short reasons.</summary>
    public const int MaxDetailBytes = 1024;

    /// <summary>
    /// Takes the next whole request from the front of <paramref name="buffer"/>. Returns false if the
    /// buffer does not hold a whole frame yet; <paramref name="frameBytes"/> then says how many bytes the
    /// frame needs once known (0 until its length prefix is in).
    /// </summary>
    /// <exception cref="FormatException">The frame declares a length over <see cref="MaxCommandBytes"/>, or its command is malformed.</exception>
    public static bool TryReadRequest(ReadOnlySpan<byte> buffer, out KeyValueCommand command, out ReadOnlySpan<byte> encoded, out int frameBytes)
    {
        command = default;
        encoded = default;
        frameBytes = 0;
        if (buffer.Length < LengthPrefixBytes)
        {
            return false;
        }
        uint length = BinaryPrimitives.ReadUInt32BigEndian(buffer);
        if (length == 0 || length > MaxCommandBytes)
        {
            throw new FormatException($"proposal frame declares {length} bytes; a command has 1 to {MaxCommandBytes}");
        }
        frameBytes = LengthPrefixBytes + (int)length;
        if (buffer.Length < frameBytes)
        {
            return false;
        }
        encoded = buffer.Slice(LengthPrefixBytes, (int)length);
        command = KeyValueCommand.Decode(encoded);
        return true;
    }

    /// <summary>Appends a reply frame; returns its length. The detail is cut to <see cref="MaxDetailBytes"/>.</summary>
    public static int WriteReply(Span<byte> destination, ProposeReply outcome, string? detail)
    {
        destination[0] = (byte)outcome;
        int detailBytes = 0;
        if (!string.IsNullOrEmpty(detail))
        {
            var target = destination.Slice(3, MaxDetailBytes);
            int chars = Math.Min(detail.Length, MaxDetailBytes);
            while (!Encoding.UTF8.TryGetBytes(detail.AsSpan(0, chars), target, out detailBytes))
            {
                chars -= Math.Max(1, chars / 8); // only a detail of multi-byte characters is cut this way
            }
        }
        BinaryPrimitives.WriteUInt16BigEndian(destination[1..], (ushort)detailBytes);
        return 3 + detailBytes;
    }

    /// <summary>The most bytes <see cref="WriteReply"/> writes.</summary>
    public const int MaxReplyBytes = 3 + MaxDetailBytes;
}
