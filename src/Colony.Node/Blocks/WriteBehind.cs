using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Colony.Node.Blocks;

/// <summary>
/// Starts writeback of a replica's data as it arrives (Linux <c>sync_file_range</c>, WRITE only: it queues
/// the pages and does not wait). Without it, a machine with plenty of memory keeps a whole block dirty
/// until the fsync at its end, and the pipeline stalls there while the disk does all the work at once.
/// With it, the disk writes while the network streams and the final fsync finds little left to do.
/// Durability still comes only from that fsync; this changes when the disk works, not what is promised.
/// </summary>
internal struct WriteBehind(long everyBytes)
{
    private const int SyncFileRangeWrite = 2;
    private static bool s_unsupported = !OperatingSystem.IsLinux();

    private long _started;

    /// <summary>Queues writeback of everything written since the last call, once there is enough of it.</summary>
    public void Written(SafeFileHandle file, long length)
    {
        if (s_unsupported || everyBytes <= 0 || length - _started < everyBytes)
        {
            return;
        }
        if (NativeSyncFileRange(file, _started, length - _started, SyncFileRangeWrite) != 0)
        {
            // An old kernel or an odd file system: writing back at the fsync is correct, only slower.
            s_unsupported = true;
            return;
        }
        _started = length;
    }

    [DllImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static extern int NativeSyncFileRange(SafeFileHandle fd, long offset, long nbytes, int flags);
}
