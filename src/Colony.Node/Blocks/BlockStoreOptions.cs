using Colony.Core;

namespace Colony.Node.Blocks;

/// <summary>Where and how a data node keeps its block replicas.</summary>
public sealed class BlockStoreOptions
{
    /// <summary>The volume's directory; replicas live under <c>blocks/rbw</c> and <c>blocks/finalized</c> in it.</summary>
    public required string Directory { get; init; }

    /// <summary>Free space a new write must leave on the volume, for the rest of the node (logs, WAL). Default 256 MiB.</summary>
    public long ReserveBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>
    /// Most bytes of replicas this store may hold; 0 (the default): as much as the volume has. With a cap the store
    /// reports the cap as its capacity and what is left of it (or of the volume, if less) as free, so several nodes
    /// sharing a disk, or a node given part of one, each show their own use to placement and the balancer.
    /// </summary>
    public long CapacityBytes { get; init; }

    /// <summary>How long a pipeline recovery waits for the old writer of a replica to let go. Default 10 s.</summary>
    public TimeSpan WriterHandoverTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Writeback of a replica being written starts every this many bytes, so its final fsync has little left
    /// to flush. 0 leaves it all to the fsync. Default 8 MiB.
    /// </summary>
    public long WriteBehindBytes { get; init; } = 8L * 1024 * 1024;

    /// <summary>The volume's space; defaults to the drive that holds <see cref="Directory"/>.</summary>
    public IVolumeSpace? Volume { get; init; }

    /// <summary>Test seam: called before each data write with the replica and its offset; a returned exception is thrown as if by the disk.</summary>
    internal Func<BlockVersion, long, Exception?>? WriteFault { get; init; }

    /// <summary>
    /// Test seam: called on the syncing thread before every fsync of a replica's files and of the directories that
    /// name them, which it may hold as a slow disk would (the fault hooks' fsync delay). Null, the default, costs a
    /// null check.
    /// </summary>
    internal Action? BeforeSync { get; init; }

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Directory);
        ArgumentOutOfRangeException.ThrowIfNegative(ReserveBytes);
        ArgumentOutOfRangeException.ThrowIfNegative(WriteBehindBytes);
        ArgumentOutOfRangeException.ThrowIfNegative(CapacityBytes);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(WriterHandoverTimeout, TimeSpan.Zero);
    }
}

/// <summary>Total and free bytes of the volume a store lives on.</summary>
public interface IVolumeSpace
{
    long TotalBytes { get; }

    long FreeBytes { get; }
}

/// <summary>The real drive a directory is on.</summary>
public sealed class DriveSpace(string directory) : IVolumeSpace
{
    private readonly DriveInfo _drive = new(Path.GetFullPath(directory));

    public long TotalBytes => _drive.TotalSize;

    public long FreeBytes => _drive.AvailableFreeSpace;
}

/// <summary>A store's capacity as reported to the leader.</summary>
public readonly record struct StoreCapacity(long TotalBytes, long FreeBytes, long UsedBytes, long ReservedForWrites, int TransfersInFlight);
