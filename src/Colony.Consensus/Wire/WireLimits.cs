namespace Colony.Consensus.Wire;

/// <summary>What a <see cref="MessageCodec"/> accepts, so a peer cannot make a node allocate without bound.</summary>
public sealed class WireLimits
{
    /// <summary>The largest <see cref="MaxFrameBytes"/> may be.</summary>
    public const int MaxFrameBytesCeiling = 1 << 30;

    /// <summary>
    /// The largest frame, header included. A frame announcing more is rejected before anything is
    /// allocated for it. Default 64 MiB (Raft sends at most 1 MiB of entries or one 1 MiB snapshot
    /// chunk by default, but a single entry may be larger); 1 KiB to 1 GiB.
    /// </summary>
    public int MaxFrameBytes { get; init; } = 64 << 20;

    /// <summary>
    /// The most entries in one message. Default 131,072: an Append of the default 1 MiB holds at most
    /// 43,690 entries (each counts 24 bytes besides its data). Bounds the entry array a small frame can
    /// make a node allocate. 1 to 16,777,216.
    /// </summary>
    public int MaxEntriesPerMessage { get; init; } = 1 << 17;

    public static WireLimits Default { get; } = new();

    public void Validate()
    {
        if (MaxFrameBytes is < 1 << 10 or > MaxFrameBytesCeiling)
        {
            throw new ArgumentException($"MaxFrameBytes = {MaxFrameBytes} must be between 1 KiB and 1 GiB", nameof(MaxFrameBytes));
        }
        if (MaxEntriesPerMessage is < 1 or > 1 << 24)
        {
            throw new ArgumentException(
                $"MaxEntriesPerMessage = {MaxEntriesPerMessage} must be between 1 and 16,777,216", nameof(MaxEntriesPerMessage));
        }
    }
}
