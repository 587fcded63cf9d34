namespace Colony.Storage.Blocks.Transfer;

/// <summary>One node's verdict on a transfer, carried in acks and read replies. Values are on the wire: never renumber.</summary>
public enum TransferStatus : byte
{
    Ok = 0,

    /// <summary>A chunk's bytes did not match the checksum sent (or stored) with them.</summary>
    ChecksumError = 1,

    /// <summary>The node's disk failed (other than running out of space).</summary>
    IoError = 2,

    /// <summary>Not enough free space for the block (plus the reserve), or the disk filled up mid-write.</summary>
    DiskFull = 3,

    /// <summary>The node could not be reached, or its connection broke mid-transfer (reported by the node upstream of it).</summary>
    Unreachable = 4,

    /// <summary>No replica of that block.</summary>
    BlockNotFound = 5,

    /// <summary>The replica has another generation stamp than the one asked for.</summary>
    StaleStamp = 6,

    /// <summary>The replica is known to be corrupt and is not served.</summary>
    Corrupt = 7,

    /// <summary>The request broke a protocol rule (bad offset, replica already exists, resume beyond what was received).</summary>
    InvalidRequest = 8,

    /// <summary>The request carried no block access token, or one that does not allow it (forged, expired, another block or mode).</summary>
    AccessDenied = 9,
}
