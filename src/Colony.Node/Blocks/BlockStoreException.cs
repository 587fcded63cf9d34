using Colony.Storage.Blocks.Transfer;

namespace Colony.Node.Blocks;

/// <summary>A store operation failed; <see cref="Status"/> is what goes on the wire.</summary>
public sealed class BlockStoreException : IOException
{
    public BlockStoreException(TransferStatus status, string message, Exception? inner = null)
        : base(message, inner)
    {
        Status = status;
    }

    public BlockStoreException()
        : this(TransferStatus.IoError, "block store failure")
    {
    }

    public BlockStoreException(string message)
        : this(TransferStatus.IoError, message)
    {
    }

    public BlockStoreException(string message, Exception inner)
        : this(TransferStatus.IoError, message, inner)
    {
    }

    public TransferStatus Status { get; }

    /// <summary>Turns a disk exception into a store exception: ENOSPC (or Windows' disk-full) is <see cref="TransferStatus.DiskFull"/>.</summary>
    internal static BlockStoreException FromIo(string what, Exception e) => e switch
    {
        BlockStoreException store => store,
        _ when IsDiskFull(e) => new BlockStoreException(TransferStatus.DiskFull, $"{what}: disk full ({e.Message})", e),
        _ => new BlockStoreException(TransferStatus.IoError, $"{what}: {e.Message}", e),
    };

    private static bool IsDiskFull(Exception e)
    {
        const int Enospc = 28;
        const int ErrorDiskFull = 0x70;
        const int ErrorHandleDiskFull = 0x27;
        int code = e.HResult & 0xFFFF;
        return e is IOException && (e.HResult == Enospc || code == ErrorDiskFull || code == ErrorHandleDiskFull);
    }
}
