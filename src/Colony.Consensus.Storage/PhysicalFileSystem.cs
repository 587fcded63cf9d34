using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Colony.Consensus.Storage;

/// <summary>
/// Real files through <see cref="SafeFileHandle"/> and <see cref="RandomAccess"/>: positional I/O,
/// no stream buffering, fsync on <see cref="IStorageFile.Sync"/>. Errors (a full disk included) come
/// out as the runtime's <see cref="IOException"/>s; the store above turns them into a fail-stop.
/// </summary>
public sealed class PhysicalFileSystem : IFileSystem
{
    public static PhysicalFileSystem Instance { get; } = new();

    private PhysicalFileSystem()
    {
    }

    public void CreateDirectory(string path)
    {
        string full = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(path));
        if (Directory.Exists(full))
        {
            return;
        }
        string? parent = System.IO.Path.GetDirectoryName(full);
        if (parent is not null)
        {
            CreateDirectory(parent);
        }
        Directory.CreateDirectory(full);
        // A new directory's name lives in its parent: without this, a crash can lose the whole directory.
        if (parent is not null)
        {
            SyncDirectory(parent);
        }
    }

    public IReadOnlyList<string> ListFiles(string directory)
    {
        var names = new List<string>();
        foreach (string path in Directory.EnumerateFiles(directory))
        {
            names.Add(System.IO.Path.GetFileName(path));
        }
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    public IStorageFile Open(string path, FileOpenMode mode)
    {
        var (fileMode, access, share) = mode switch
        {
            FileOpenMode.Read => (FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete),
            FileOpenMode.ReadWrite => (FileMode.Open, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete),
            FileOpenMode.CreateNew => (FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete),
            FileOpenMode.CreateOrTruncate => (FileMode.Create, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete),
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown open mode"),
        };
        var handle = File.OpenHandle(path, fileMode, access, share);
        return new PhysicalFile(path, handle);
    }

    public void Delete(string path) => File.Delete(path);

    public void Rename(string source, string destination) => File.Move(source, destination, overwrite: true);

    public void SyncDirectory(string directory)
    {
        // Windows cannot open a directory for flushing, and NTFS journals names itself.
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        // .NET refuses to open a directory as a file handle, so go to libc for open/fsync/close.
        int fd = RetryOnInterrupt(() => NativeOpen(directory, OpenReadOnly));
        if (fd < 0)
        {
            throw ErrnoException("open directory", directory);
        }
        try
        {
            if (RetryOnInterrupt(() => NativeFsync(fd)) != 0)
            {
                throw ErrnoException("fsync directory", directory);
            }
        }
        finally
        {
            _ = NativeClose(fd);
        }
    }

    private const int OpenReadOnly = 0;
    private const int Interrupted = 4; // EINTR on every Unix we run on

    private static int RetryOnInterrupt(Func<int> call)
    {
        while (true)
        {
            int result = call();
            if (result >= 0 || Marshal.GetLastPInvokeError() != Interrupted)
            {
                return result;
            }
        }
    }

    private static IOException ErrnoException(string operation, string path)
    {
        int errno = Marshal.GetLastPInvokeError();
        return new IOException($"{operation} '{path}' failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
    }

    // DllImport rather than LibraryImport: the generated stubs need unsafe code, and these three
    // calls marshal nothing but a UTF-8 path and ints.
    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int NativeOpen([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int NativeFsync(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int NativeClose(int fd);

    /// <summary>One open file: every call goes straight to the operating system.</summary>
    private sealed class PhysicalFile(string path, SafeFileHandle handle) : IStorageFile
    {
        public string Path { get; } = path;

        public long Length => RandomAccess.GetLength(handle);

        public int Read(long offset, Span<byte> destination)
        {
            int total = 0;
            while (total < destination.Length)
            {
                int read = RandomAccess.Read(handle, destination[total..], offset + total);
                if (read == 0)
                {
                    break;
                }
                total += read;
            }
            return total;
        }

        public void Write(long offset, ReadOnlySpan<byte> source) => RandomAccess.Write(handle, source, offset);

        public void SetLength(long length) => RandomAccess.SetLength(handle, length);

        public void Sync() => RandomAccess.FlushToDisk(handle);

        public void Dispose() => handle.Dispose();
    }
}
