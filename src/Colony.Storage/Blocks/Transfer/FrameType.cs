namespace Colony.Storage.Blocks.Transfer;

/// <summary>What a frame carries. Values are on the wire: never renumber.</summary>
public enum FrameType : byte
{
    /// <summary>Client or upstream node → node: open a write pipeline (<see cref="WriteBlockRequest"/>).</summary>
    WriteBlock = 1,

    /// <summary>Node → upstream: the pipeline's answer to a setup or to one packet (<see cref="PipelineAck"/>).</summary>
    PipelineAck = 2,

    /// <summary>Block bytes with their chunk checksums, either direction (<see cref="DataPacketHeader"/>).</summary>
    DataPacket = 3,

    /// <summary>Client → node: read a byte range of a replica (<see cref="ReadBlockRequest"/>).</summary>
    ReadBlock = 4,

    /// <summary>Node → client: the answer to a read, then data packets (<see cref="ReadBlockReply"/>).</summary>
    ReadReply = 5,
}
