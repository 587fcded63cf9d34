using Colony.Consensus;
using Colony.Core;
using Colony.Testing.Storage;

namespace Colony.Consensus.Storage.Tests;

/// <summary>A store on a simulated disk that a test can restart and crash.</summary>
internal sealed class SimLog : IDisposable
{
    public SimLog(LogStoreOptions? options = null)
    {
        Options = options ?? new LogStoreOptions();
        State = Open();
    }

    public SimFileSystem FileSystem { get; } = new();

    public string Directory { get; } = Path.Combine("node", "wal");

    public LogStoreOptions Options { get; }

    public SegmentedLogStore Store { get; private set; } = null!;

    /// <summary>What the last Load returned.</summary>
    public PersistentState State { get; private set; }

    /// <summary>No zeros written ahead: a segment's file ends at its last record, for tests that write past it.</summary>
    public static LogStoreOptions EndsAtLastRecord => new() { PreallocateBytes = 0 };

    /// <summary>Small segments: a few 100-byte entries each.</summary>
    public static LogStoreOptions SmallSegments => new() { SegmentBytes = 1024, MaxBufferedBytes = 4096 };

    /// <summary>The process restarts; the machine does not (written bytes survive, buffered ones do not).</summary>
    public PersistentState Restart() => State = Open();

    /// <summary>The power goes out, then the node starts again.</summary>
    public PersistentState CrashAndRestart(ulong seed = 1)
    {
        FileSystem.Crash(new SeededRandom(seed));
        return State = Open();
    }

    public string PathOf(string name) => Path.Combine(Directory, name);

    public List<string> SegmentFiles() => FileSystem.ListFiles(Directory).Where(n => n.EndsWith(".wal", StringComparison.Ordinal)).ToList();

    public List<string> SnapshotFiles() => FileSystem.ListFiles(Directory).Where(n => n.EndsWith(".snap", StringComparison.Ordinal)).ToList();

    /// <summary>The active (newest) segment's path.</summary>
    public string LastSegment() => PathOf(SegmentFiles()[^1]);

    public void AppendAndSync(params Entry[] entries)
    {
        Store.Append(entries);
        Store.Sync();
    }

    public void Dispose() => Store.Dispose();

    private PersistentState Open()
    {
        Store?.Dispose();
        Store = new SegmentedLogStore(FileSystem, Directory, Options);
        return Store.Load();
    }
}
