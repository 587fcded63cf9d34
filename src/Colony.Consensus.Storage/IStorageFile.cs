namespace Colony.Consensus.Storage;

/// <summary>
/// An open file, addressed by position. Writes are visible to reads at once but durable only after
/// <see cref="Sync"/>. Failures surface as <see cref="IOException"/>.
/// </summary>
public interface IStorageFile : IDisposable
{
    string Path { get; }

    /// <summary>The file's current length in bytes, unsynced writes included.</summary>
    long Length { get; }

    /// <summary>Reads from <paramref name="offset"/>; returns fewer bytes than asked only at the end of the file.</summary>
    int Read(long offset, Span<byte> destination);

    /// <summary>Writes all of <paramref name="source"/> at <paramref name="offset"/>, extending the file (with zeros) if needed.</summary>
    void Write(long offset, ReadOnlySpan<byte> source);

    /// <summary>Cuts the file to <paramref name="length"/> bytes, or extends it with zeros.</summary>
    void SetLength(long length);

    /// <summary>Makes every write and length change so far durable (fsync). The file's name is durable only after <see cref="IFileSystem.SyncDirectory"/>.</summary>
    void Sync();
}
