using Colony.Core;
using Colony.Storage.Blocks.Transfer;

namespace Colony.Client.Blocks;

/// <summary>A block transfer failed at a known node; <see cref="Status"/> says how.</summary>
public abstract class BlockTransferException : IOException
{
    protected BlockTransferException(string node, BlockVersion version, TransferStatus status, string message, Exception? inner)
        : base(message, inner)
    {
        Node = node;
        Version = version;
        Status = status;
    }

    /// <summary>The node ("host:port") the failure is pinned on.</summary>
    public string Node { get; }

    public BlockVersion Version { get; }

    public TransferStatus Status { get; }
}

/// <summary>
/// A write pipeline failed at <see cref="FailedIndex"/> (its position in the pipeline, node <see cref="BlockTransferException.Node"/>).
/// Every node kept the bytes up to <see cref="AckedLength"/>: resume there with the other nodes and a newer stamp.
/// </summary>
public sealed class PipelineFailedException(string node, int failedIndex, BlockVersion version, TransferStatus status, long ackedLength, string message, Exception? inner = null)
    : BlockTransferException(node, version, status, $"write of {version} failed at node {failedIndex} ({node}): {status}{(message.Length > 0 ? ": " + message : "")}", inner)
{
    public int FailedIndex { get; } = failedIndex;

    /// <summary>Bytes of the block every node in the pipeline acknowledged.</summary>
    public long AckedLength { get; } = ackedLength;
}

/// <summary>Bytes from a replica did not match their checksum: the replica (or the path to it) is corrupt. Read another replica and report this one.</summary>
public sealed class ChecksumMismatchException(string node, BlockVersion version, long offset)
    : BlockTransferException(node, version, TransferStatus.ChecksumError, $"checksum mismatch in {version} from {node} at offset {offset}", null)
{
    /// <summary>Where the bad chunk starts in the block.</summary>
    public long Offset { get; } = offset;
}

/// <summary>A replica could not be read from a node (unreachable, missing, another stamp, corrupt): read another replica.</summary>
public sealed class ReplicaUnavailableException(string node, BlockVersion version, TransferStatus status, string message, Exception? inner = null)
    : BlockTransferException(node, version, status, $"{version} is unavailable from {node}: {status}{(message.Length > 0 ? ": " + message : "")}", inner);
