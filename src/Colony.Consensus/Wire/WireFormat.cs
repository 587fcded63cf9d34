namespace Colony.Consensus.Wire;

/// <summary>
/// The layout of a Raft message on the wire between nodes.
/// <para>
/// A frame is <c>[payload length: u32 BE][CRC-32C of the payload: u32 BE][payload]</c>. The payload is
/// <c>[format version: u8][message type: u8][flags: u8]</c>, then From, To, Term, LogTerm, Index, Commit,
/// RejectHint and Context as unsigned LEB128 varints; when the snapshot flag is set, the snapshot's
/// index and term (varints) and its membership (varint length + <see cref="Membership.Encode"/>);
/// SnapshotOffset and SnapshotSize (varints, never negative); SnapshotData (varint length + bytes);
/// and the entries (varint count, then per entry term, index (varints), type (u8), varint length + data).
/// </para>
/// <para>
/// Every value has exactly one encoding: varints are minimal, unused flag bits are zero, memberships
/// are sorted without duplicates (and no node is both voter and learner), and nothing
/// may follow the last entry. A decoder that meets anything else throws <see cref="WireFormatException"/>.
/// </para>
/// </summary>
public static class WireFormat
{
    /// <summary>The version byte at the start of every payload. A new layout gets a new number; never reuse one.</summary>
    public const byte FormatVersion = 1;

    /// <summary>Length prefix and checksum ahead of every payload.</summary>
    public const int FrameHeaderBytes = 8;

    /// <summary>Version, type and flags: the fixed bytes at the start of a payload.</summary>
    internal const int PayloadPrefixBytes = 3;

    /// <summary>The fewest bytes one entry takes: term, index, type and data length, each one byte.</summary>
    internal const int MinEntryBytes = 4;

    internal const byte FlagReject = 1;
    internal const byte FlagLeaderTransfer = 2;
    internal const byte FlagSnapshot = 4;
    internal const byte KnownFlags = FlagReject | FlagLeaderTransfer | FlagSnapshot;
}
