using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using Colony.Consensus;
using Colony.Consensus.Storage;

namespace Colony.Benchmarks;

/// <summary>
/// Group commit on a real disk: one operation appends a batch of entries and syncs it (one write, one
/// fsync). The extra columns turn the time per batch into entries/s, MB/s and fsyncs/s. Like a node,
/// the benchmark snapshots and compacts once the log spans more than four segments. The log lives in
/// the temporary directory, or under COLONY_BENCH_DIR to measure another disk.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(Config))]
public class WalAppendBenchmarks
{
    private const int MaxSegments = 4;

    private readonly byte[] _snapshotData = new byte[64];
    private string _directory = "";
    private SegmentedLogStore _store = null!;
    private Entry[] _batch = [];
    private byte[] _payload = [];
    private ulong _nextIndex;
    private long _batches;

    [Params(1, 16, 256, 4096)]
    public int BatchSize { get; set; }

    [Params(100, 1024)]
    public int EntryBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        string root = Environment.GetEnvironmentVariable("COLONY_BENCH_DIR") is { Length: > 0 } configured ? configured : Path.GetTempPath();
        _directory = Path.Combine(root, $"colony-wal-bench-{Environment.ProcessId}-{BatchSize}x{EntryBytes}");
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
        _store = new SegmentedLogStore(PhysicalFileSystem.Instance, _directory);
        _store.Load();
        _store.Sync();
        _payload = new byte[EntryBytes];
        new Random(42).NextBytes(_payload);
        _batch = new Entry[BatchSize];
        _nextIndex = 1;
    }

    [Benchmark(Description = "Append+Sync")]
    public void AppendAndSync()
    {
        for (int i = 0; i < _batch.Length; i++)
        {
            _batch[i] = new Entry(1, _nextIndex++, EntryType.Normal, _payload);
        }
        _store.Append(_batch);
        _store.Sync();
        _batches++;
        // Compact as a node does after a snapshot, so the log (and the disk it covers) stays bounded.
        if (_store.SegmentCount > MaxSegments)
        {
            _store.SaveSnapshot(new Snapshot(new SnapshotMetadata(_nextIndex - 1, 1, Membership.OfVoters(1)), _snapshotData));
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        // The columns assume one fsync per batch; this line shows the real count (segment rolls and
        // compactions add a few).
        Console.WriteLine(
            $"// WAL {BatchSize}x{EntryBytes} B: {_batches} batches, {_store.FsyncCount} fsyncs " +
            $"({(double)_store.FsyncCount / Math.Max(1, _batches):F4} per batch), {_store.BytesWritten / 1e6:F1} MB written");
        _store.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private sealed class Config : ManualConfig
    {
        public Config()
        {
            // fsync latency is noisy: a fixed, modest number of iterations keeps the run to minutes.
            AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(12).WithId("Wal"));
            AddColumn(
                WalThroughputColumn.EntriesPerSecond,
                WalThroughputColumn.PayloadMegabytesPerSecond,
                WalThroughputColumn.WrittenMegabytesPerSecond,
                WalThroughputColumn.FsyncsPerSecond);
        }
    }
}
