namespace Colony.Storage.Blocks.Transfer;

/// <summary>Hard bounds of the block transfer protocol: a frame that breaks one is rejected before anything is allocated for it.</summary>
public static class TransferLimits
{
    /// <summary>The protocol version in every frame header. 2: requests carry a block access token.</summary>
    public const byte ProtocolVersion = 2;

    /// <summary>Largest body of a control frame (requests, acks, replies).</summary>
    public const int MaxControlBody = 4096;

    /// <summary>Most block bytes in one data packet.</summary>
    public const int MaxPacketData = 1024 * 1024;

    /// <summary>Largest body of a data packet: header, one checksum per smallest chunk, data.</summary>
    public const int MaxPacketBody = DataPacketHeader.Size + (MaxPacketData / ChunkChecksums.MinChunkSize * sizeof(uint)) + MaxPacketData;

    /// <summary>Most downstream targets in one write pipeline.</summary>
    public const int MaxTargets = 8;

    /// <summary>Most UTF-8 bytes of a client name or a target address.</summary>
    public const int MaxNameBytes = 255;

    /// <summary>Most bytes of a block access token's text (<see cref="BlockAccessToken"/>).</summary>
    public const int MaxTokenBytes = 512;

    /// <summary>Most UTF-8 bytes of an error message.</summary>
    public const int MaxMessageBytes = 1024;

    /// <summary>Largest body a frame of <paramref name="type"/> may have, or −1 for an unknown type.</summary>
    public static int MaxBody(FrameType type) => type switch
    {
        FrameType.DataPacket => MaxPacketBody,
        FrameType.WriteBlock or FrameType.PipelineAck or FrameType.ReadBlock or FrameType.ReadReply => MaxControlBody,
        _ => -1,
    };
}
