using Colony.Consensus.Storage;
using Colony.Core;

namespace Colony.Testing.Storage;

/// <summary>
/// An in-memory, deterministic file system that can lose power. Each file keeps its durable bytes and
/// the bytes reads see; <see cref="IStorageFile.Sync"/> makes the latter durable. Creating, renaming
/// and deleting a file change only what <see cref="ListFiles"/> sees until the directory is synced.
/// <see cref="Crash"/> throws away everything not durable and may tear each file's last unsynced write.
/// </summary>
/// <remarks>
/// Simplifications: directories themselves are durable as soon as they are created; a failing operation
/// changes nothing. Not thread-safe, like the code it serves.
/// </remarks>
public sealed class SimFileSystem : IFileSystem
{
    private readonly Dictionary<string, SimDirectory> _directories = new(StringComparer.Ordinal);
    private long _nextFileId;

    /// <summary>Bumped by every crash: file handles opened before it stop working.</summary>
    internal int Generation { get; private set; }

    /// <summary>fsyncs of files so far.</summary>
    public long FileSyncCount { get; private set; }

    /// <summary>fsyncs of directories so far.</summary>
    public long DirectorySyncCount { get; private set; }

    public int CrashCount { get; private set; }

    /// <summary>Writes that would take the files' total size past this fail as a full disk. Default: no limit.</summary>
    public long CapacityBytes { get; set; } = long.MaxValue;

    /// <summary>Chance that a crash keeps part of a file's last unsynced write. Default 0.5.</summary>
    public double TornWriteProbability { get; set; } = 0.5;

    /// <summary>
    /// Consulted before every mutating operation with the file or directory path; returning true makes
    /// the operation throw an <see cref="IOException"/> and change nothing. For injecting failures at an
    /// exact step.
    /// </summary>
    public Func<SimFileOperation, string, bool>? FailWhen { get; set; }

    /// <summary>The total length of the files that have a name (what a full disk is measured against).</summary>
    public long UsedBytes
    {
        get
        {
            long total = 0;
            foreach (var directory in _directories.Values)
            {
                foreach (var file in directory.Current.Values)
                {
                    total += file.Length;
                }
            }
            return total;
        }
    }

    public void CreateDirectory(string path)
    {
        string key = DirectoryKey(path);
        if (!_directories.ContainsKey(key))
        {
            _directories.Add(key, new SimDirectory());
        }
    }

    public IReadOnlyList<string> ListFiles(string directory)
    {
        var names = new List<string>(GetDirectory(directory).Current.Keys);
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    public IStorageFile Open(string path, FileOpenMode mode)
    {
        var directory = GetDirectory(Path.GetDirectoryName(path) ?? throw new ArgumentException($"'{path}' has no directory", nameof(path)));
        string name = Path.GetFileName(path);
        directory.Current.TryGetValue(name, out var data);
        switch (mode)
        {
            case FileOpenMode.Read or FileOpenMode.ReadWrite when data is null:
                throw new FileNotFoundException($"no file '{path}'", path);
            case FileOpenMode.CreateNew when data is not null:
                throw new IOException($"file '{path}' already exists");
            case FileOpenMode.CreateNew or FileOpenMode.CreateOrTruncate when data is null:
                ThrowIfInjected(SimFileOperation.Create, path);
                data = new SimFileData(++_nextFileId);
                directory.Current.Add(name, data);
                break;
            case FileOpenMode.CreateOrTruncate:
                ThrowIfInjected(SimFileOperation.SetLength, path);
                data!.SetLength(0);
                break;
        }
        return new SimFile(this, data!, path, writable: mode != FileOpenMode.Read);
    }

    public void Delete(string path)
    {
        var directory = GetDirectory(Path.GetDirectoryName(path)!);
        string name = Path.GetFileName(path);
        if (directory.Current.ContainsKey(name))
        {
            ThrowIfInjected(SimFileOperation.Delete, path);
            directory.Current.Remove(name);
        }
    }

    public void Rename(string source, string destination)
    {
        var from = GetDirectory(Path.GetDirectoryName(source)!);
        var to = GetDirectory(Path.GetDirectoryName(destination)!);
        string sourceName = Path.GetFileName(source);
        if (!from.Current.TryGetValue(sourceName, out var data))
        {
            throw new FileNotFoundException($"no file '{source}'", source);
        }
        ThrowIfInjected(SimFileOperation.Rename, source);
        from.Current.Remove(sourceName);
        to.Current[Path.GetFileName(destination)] = data;
    }

    public void SyncDirectory(string directory)
    {
        var entry = GetDirectory(directory);
        ThrowIfInjected(SimFileOperation.SyncDirectory, directory);
        DirectorySyncCount++;
        entry.Durable.Clear();
        foreach (var (name, data) in entry.Current)
        {
            entry.Durable.Add(name, data);
        }
    }

    /// <summary>
    /// Power cut: every directory goes back to its durable names and every file to its durable bytes.
    /// With <see cref="TornWriteProbability"/>, a file keeps a random prefix of its last unsynced write,
    /// sometimes with a few bytes flipped. Open handles stop working.
    /// </summary>
    public void Crash(IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(random);
        Generation++;
        CrashCount++;
        var survivors = new List<SimFileData>();
        foreach (var directory in _directories.Values)
        {
            directory.Current.Clear();
            foreach (var (name, data) in directory.Durable)
            {
                directory.Current.Add(name, data);
                survivors.Add(data);
            }
        }
        // Consume randomness in creation order, never in hash order, so a seed replays exactly.
        survivors.Sort(static (a, b) => a.Id.CompareTo(b.Id));
        SimFileData? previous = null;
        foreach (var data in survivors)
        {
            if (!ReferenceEquals(data, previous))
            {
                data.Crash(random, TornWriteProbability);
            }
            previous = data;
        }
    }

    /// <summary>Flips bits of one byte of a file, both on "disk" and in what reads see: media corruption.</summary>
    public void CorruptByte(string path, long offset, byte xorMask = 0xFF)
    {
        if (xorMask == 0)
        {
            throw new ArgumentException("a zero mask changes nothing", nameof(xorMask));
        }
        FindFile(path).Corrupt(checked((int)offset), xorMask);
    }

    public bool FileExists(string path) =>
        _directories.TryGetValue(DirectoryKey(Path.GetDirectoryName(path)!), out var directory)
        && directory.Current.ContainsKey(Path.GetFileName(path));

    /// <summary>The file's length as reads see it.</summary>
    public long FileLength(string path) => FindFile(path).Length;

    /// <summary>A copy of the file's bytes as reads see them.</summary>
    public byte[] ReadAllBytes(string path) => FindFile(path).Snapshot();

    internal void ThrowIfInjected(SimFileOperation operation, string path)
    {
        if (FailWhen?.Invoke(operation, path) == true)
        {
            throw new IOException($"injected failure: {operation} '{path}'");
        }
    }

    internal void ThrowIfFull(long growthBytes, string path)
    {
        if (growthBytes > 0 && CapacityBytes != long.MaxValue && UsedBytes + growthBytes > CapacityBytes)
        {
            throw new IOException($"No space left on device: '{path}'");
        }
    }

    internal void CountFileSync() => FileSyncCount++;

    private SimFileData FindFile(string path) =>
        GetDirectory(Path.GetDirectoryName(path)!).Current.TryGetValue(Path.GetFileName(path), out var data)
            ? data
            : throw new FileNotFoundException($"no file '{path}'", path);

    private SimDirectory GetDirectory(string path) =>
        _directories.TryGetValue(DirectoryKey(path), out var directory)
            ? directory
            : throw new DirectoryNotFoundException($"no directory '{path}'");

    private static string DirectoryKey(string path) => Path.TrimEndingDirectorySeparator(path);

    /// <summary>A directory's names: what listing sees, and what survives a crash.</summary>
    private sealed class SimDirectory
    {
        public Dictionary<string, SimFileData> Current { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, SimFileData> Durable { get; } = new(StringComparer.Ordinal);
    }
}
