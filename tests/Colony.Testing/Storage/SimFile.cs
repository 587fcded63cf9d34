using Colony.Consensus.Storage;

namespace Colony.Testing.Storage;

/// <summary>A handle on a simulated file. It stops working at a crash, as the process that held it would.</summary>
internal sealed class SimFile(SimFileSystem fileSystem, SimFileData data, string path, bool writable) : IStorageFile
{
    private readonly int _generation = fileSystem.Generation;
    private bool _disposed;

    public string Path { get; } = path;

    public long Length
    {
        get
        {
            ThrowIfUnusable();
            return data.Length;
        }
    }

    public int Read(long offset, Span<byte> destination)
    {
        ThrowIfUnusable();
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        return offset >= data.Length ? 0 : data.Read((int)offset, destination);
    }

    public void Write(long offset, ReadOnlySpan<byte> source)
    {
        ThrowIfUnwritable();
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        long end = offset + source.Length;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(end, Array.MaxLength, nameof(offset));
        fileSystem.ThrowIfInjected(SimFileOperation.Write, Path);
        fileSystem.ThrowIfFull(end - data.Length, Path);
        data.Write((int)offset, source);
    }

    public void SetLength(long length)
    {
        ThrowIfUnwritable();
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, Array.MaxLength);
        fileSystem.ThrowIfInjected(SimFileOperation.SetLength, Path);
        fileSystem.ThrowIfFull(length - data.Length, Path);
        data.SetLength((int)length);
    }

    public void Sync()
    {
        ThrowIfUnusable();
        fileSystem.ThrowIfInjected(SimFileOperation.SyncFile, Path);
        fileSystem.CountFileSync();
        data.Sync();
    }

    public void Dispose() => _disposed = true;

    private void ThrowIfUnwritable()
    {
        ThrowIfUnusable();
        if (!writable)
        {
            throw new UnauthorizedAccessException($"'{Path}' is open for reading only");
        }
    }

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_generation != fileSystem.Generation)
        {
            throw new InvalidOperationException($"'{Path}' was opened before a crash");
        }
    }
}
