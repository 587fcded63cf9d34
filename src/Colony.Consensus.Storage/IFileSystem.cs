namespace Colony.Consensus.Storage;

/// <summary>
/// The few file-system operations durable storage needs, synchronous and with POSIX crash semantics:
/// file contents are durable after <see cref="IStorageFile.Sync"/>; creating, renaming and deleting a
/// file are durable only after <see cref="SyncDirectory"/> on its directory. The real implementation is
/// <see cref="PhysicalFileSystem"/>; tests and the simulator use an in-memory one that can crash.
/// </summary>
public interface IFileSystem
{
    /// <summary>Creates the directory (and its parents) if missing, durably.</summary>
    void CreateDirectory(string path);

    /// <summary>The names (not paths) of the files directly in <paramref name="directory"/>, in ordinal order.</summary>
    IReadOnlyList<string> ListFiles(string directory);

    IStorageFile Open(string path, FileOpenMode mode);

    /// <summary>Removes the file's name; does nothing if there is no such file.</summary>
    void Delete(string path);

    /// <summary>Atomically gives <paramref name="source"/> the name <paramref name="destination"/>, replacing any file there.</summary>
    void Rename(string source, string destination);

    /// <summary>Makes the creations, renames and deletions in <paramref name="directory"/> so far durable (fsync of the directory).</summary>
    void SyncDirectory(string directory);
}
