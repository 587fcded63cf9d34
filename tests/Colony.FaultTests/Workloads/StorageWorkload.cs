using System.Diagnostics;
using System.Globalization;
using Colony.Client.FileSystem;
using Colony.FaultTests.Bed;
using Colony.FaultTests.Campaigns;

namespace Colony.FaultTests.Workloads;

/// <summary>How the storage workload runs.</summary>
public sealed record StorageWorkloadOptions
{
    public int Writers { get; init; } = 2;

    /// <summary>Small blocks, so that even small files span several blocks and pipelines.</summary>
    public long BlockSize { get; init; } = 4096;

    public int MaxBlocksPerFile { get; init; } = 4;

    /// <summary>
    /// Files each writer keeps; past this it reads back and deletes its oldest, so that the blocks to
    /// re-replicate after a data node dies stay bounded however long the run.
    /// </summary>
    public int MaxFilesPerWriter { get; init; } = 50;

    public short Replication { get; init; } = 3;

    public int Seed { get; init; }

    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(20);

    public TimeSpan Pace { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// How long fsck may take to report every block fully replicated, after the heal and after a data
    /// node dies. Above the repair planner's 60 s pending-copy timeout: a copy whose target was killed
    /// mid-copy is planned again only then.
    /// </summary>
    public TimeSpan ReplicationBound { get; init; } = TimeSpan.FromSeconds(90);

    public string Root { get; init; } = "/storage";

    /// <summary>
    /// Whether the check ends by killing a data node for good and timing re-replication (about 40 s
    /// on the bed): on for long runs and the matrix, off in the CI campaign to keep it short.
    /// </summary>
    public bool TimeReReplication { get; init; } = true;
}

/// <summary>
/// Writers store files of a few small blocks through <see cref="ColonyFileSystem"/>, recording each
/// file whose stream closed without error (acknowledged: durable on every replica), and read some
/// back while the faults go on. After the heal: fsck must report every block of every acknowledged
/// file fully replicated within a bound,
/// every acknowledged file must read back byte-identical, and once one data node is killed for
/// good, fsck must reach fully replicated again on the others; both times are reported.
/// </summary>
public sealed class StorageWorkload(StorageWorkloadOptions options) : IFaultWorkload
{
    private readonly Dictionary<string, AcknowledgedFile> _acknowledged = new(StringComparer.Ordinal);
    private readonly List<string> _misreads = [];
    private readonly Lock _gate = new();
    private long _attempted;
    private long _readsDuringFaults;
    private long _deleted;
    private long _deleteUnknown;

    public WorkloadKind Kind => WorkloadKind.Storage;

    public async Task PrepareAsync(TestBed bed)
    {
        using var fs = FileSystem(bed);
        await fs.MkdirsAsync(options.Root);
    }

    public Task RunAsync(TestBed bed, CancellationToken stop) =>
        Task.WhenAll(Enumerable.Range(0, options.Writers).Select(i => Task.Run(() => WriterAsync(i, bed, stop))));

    public async Task<WorkloadResult> CheckAsync(TestBed bed)
    {
        List<AcknowledgedFile> acknowledged;
        List<string> misreads;
        lock (_gate)
        {
            acknowledged = [.. _acknowledged.Values];
            misreads = [.. _misreads];
        }
        using var fs = FileSystem(bed);
        var verdicts = new List<CheckerVerdict>();
        var notes = new List<string>();

        var promised = acknowledged.Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
        var (healed, afterHeal) = await FullyReplicatedAsync(fs, promised);
        verdicts.Add(new CheckerVerdict("storage: fsck: acknowledged files fully replicated after the heal", healed, afterHeal));
        notes.Add($"after the heal: {afterHeal}");
        notes.Add($"{Interlocked.Read(ref _deleted)} files read back and deleted during the run to bound the working set ({Interlocked.Read(ref _deleteUnknown)} deletes of unknown outcome, not checked)");

        var readBacks = new List<FileReadBack>();
        foreach (var file in acknowledged)
        {
            readBacks.Add(await ReadBackAsync(fs, file.Path));
        }
        var (identical, lost) = StorageCheck.Check(acknowledged, readBacks);
        verdicts.Add(identical);
        verdicts.Add(new CheckerVerdict("storage: reads during the faults gave the acknowledged bytes", misreads.Count == 0,
            misreads.Count == 0 ? $"{Interlocked.Read(ref _readsDuringFaults)} files read back while faults were applied" : string.Join("; ", misreads.Take(5))));

        if (!options.TimeReReplication)
        {
            notes.Add("re-replication after a data node dies: not timed in this run");
            return new WorkloadResult(Kind, Interlocked.Read(ref _attempted), acknowledged.Count, lost, verdicts, notes);
        }
        if (bed.Nodes.Count - 1 < options.Replication)
        {
            // The nodes left could not hold every replica, so no repair can make the files whole again.
            notes.Add($"re-replication after a data node dies: not timed: {bed.Nodes.Count - 1} data nodes would be left for {options.Replication} replicas");
            return new WorkloadResult(Kind, Interlocked.Read(ref _attempted), acknowledged.Count, lost, verdicts, notes);
        }
        int leader = await bed.WaitForLeaderAsync(options.ReplicationBound);
        int victim = bed.Nodes.Last(n => n != leader);
        bed.Kill(victim);
        var (repaired, afterDeath) = await FullyReplicatedAsync(fs, promised, liveDataNodes: bed.Nodes.Count - 1);
        verdicts.Add(new CheckerVerdict($"storage: fsck: acknowledged files fully replicated again after data node {victim} died", repaired, afterDeath));
        notes.Add($"after data node {victim} was killed for good: {afterDeath}");
        bed.Restart(victim);

        return new WorkloadResult(Kind, Interlocked.Read(ref _attempted), acknowledged.Count, lost, verdicts, notes);
    }

    /// <summary>A file system client, its connections opened from <paramref name="host"/> (null: the root namespace, never cut).</summary>
    private ColonyFileSystem FileSystem(TestBed bed, ClientHost? host = null) =>
        new([.. bed.Nodes.Select(n => new Uri(bed.HttpAddress(n)))], Convert.FromBase64String(File.ReadAllText(bed.SecretFile).Trim()),
            new ColonyFileSystemOptions { ConnectCallback = host is null ? null : host.ConnectAsync });

    private async Task WriterAsync(int index, TestBed bed, CancellationToken stop)
    {
        var random = new Random(HashCode.Combine(options.Seed, index, "storage"));
        var mine = new List<(AcknowledgedFile File, byte[] Content)>();
        using var fs = FileSystem(bed, Clients.HostFor(bed.ClientHosts, index));
        int n = 0;
        while (!stop.IsCancellationRequested)
        {
            if (mine.Count > options.MaxFilesPerWriter)
            {
                var oldest = mine[0];
                mine.RemoveAt(0);
                await ReadDuringFaultsAsync(fs, oldest.File, stop);
                await DeleteAsync(fs, oldest.File.Path, stop);
            }
            else if (mine.Count > 0 && random.Next(100) < 30)
            {
                await ReadDuringFaultsAsync(fs, mine[random.Next(mine.Count)].File, stop);
            }
            else
            {
                string path = $"{options.Root}/w{index}-{++n}";
                var content = new byte[random.Next(1, (int)(options.BlockSize * options.MaxBlocksPerFile) + 1)];
                random.NextBytes(content);
                Interlocked.Increment(ref _attempted);
                try
                {
                    await WriteAsync(fs, path, content).WaitAsync(options.OperationTimeout, stop);
                    var file = AcknowledgedFile.Of(path, content);
                    lock (_gate)
                    {
                        _acknowledged[path] = file;
                    }
                    mine.Add((file, content));
                }
                catch (Exception e) when (Clients.IsFault(e))
                {
                    // Not acknowledged: the file may or may not exist, and is not checked.
                }
            }
            await Task.Delay(options.Pace, CancellationToken.None); // pacing the load, not synchronisation
        }
    }

    /// <summary>A deleted file leaves the final check; one whose delete had no answer may or may not exist, so it leaves too.</summary>
    private async Task DeleteAsync(ColonyFileSystem fs, string path, CancellationToken stop)
    {
        try
        {
            await fs.DeleteAsync(path, skipTrash: true).WaitAsync(options.OperationTimeout, stop);
            Interlocked.Increment(ref _deleted);
        }
        catch (Exception e) when (Clients.IsFault(e))
        {
            Interlocked.Increment(ref _deleteUnknown);
        }
        lock (_gate)
        {
            _acknowledged.Remove(path);
        }
    }

    private async Task WriteAsync(ColonyFileSystem fs, string path, byte[] content)
    {
        var stream = await fs.CreateAsync(path, new FsCreateOptions { BlockSize = options.BlockSize, Replication = options.Replication });
        // Disposing the stream without error is the acknowledgement: every replica has every block.
        await using (stream)
        {
            await stream.WriteAsync(content);
        }
    }

    private async Task ReadDuringFaultsAsync(ColonyFileSystem fs, AcknowledgedFile file, CancellationToken stop)
    {
        try
        {
            var content = await ReadAsync(fs, file.Path).WaitAsync(options.OperationTimeout, stop);
            Interlocked.Increment(ref _readsDuringFaults);
            if (AcknowledgedFile.Of(file.Path, content) != file)
            {
                lock (_gate)
                {
                    _misreads.Add($"{file.Path}: {content.Length} bytes that differ from the {file.Length} acknowledged");
                }
            }
        }
        catch (Exception e) when (Clients.IsFault(e))
        {
            // A read that fails under a fault shows nothing wrong: the file is checked again after the heal.
        }
    }

    private static async Task<byte[]> ReadAsync(ColonyFileSystem fs, string path)
    {
        await using var stream = await fs.OpenReadAsync(path);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    /// <summary>After the heal a read may still meet a node catching up: a few tries within the bound.</summary>
    private async Task<FileReadBack> ReadBackAsync(ColonyFileSystem fs, string path)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileReadBack(path, await ReadAsync(fs, path).WaitAsync(options.OperationTimeout), null);
            }
            catch (Exception e) when (Clients.IsFault(e))
            {
                if (clock.Elapsed > options.ReplicationBound)
                {
                    return new FileReadBack(path, null, e.Message);
                }
                await Task.Delay(250); // the cluster may still be settling after the heal
            }
        }
    }

    /// <summary>
    /// Polls fsck until no block of an acknowledged file is under-replicated, missing or corrupt
    /// (with <paramref name="liveDataNodes"/>, once the leader counts that many live, i.e. has
    /// declared a dead one dead), or the bound passes; reports how long it took, the most blocks it
    /// saw short of replicas, and what fsck says of unacknowledged files' blocks, which were never
    /// promised (a writer that failed mid-file leaves blocks that lease recovery commits later with
    /// whatever replicas it finds).
    /// </summary>
    private async Task<(bool Done, string Detail)> FullyReplicatedAsync(ColonyFileSystem fs, IReadOnlySet<string> acknowledged, int? liveDataNodes = null)
    {
        var clock = Stopwatch.StartNew();
        FsckResult? last = null;
        List<FsckProblem> promised = [];
        double? declaredDead = null;
        int worst = 0;
        while (clock.Elapsed < options.ReplicationBound)
        {
            try
            {
                last = await fs.FsckAsync(options.Root).WaitAsync(TimeSpan.FromSeconds(10));
                promised = [.. last.Problems.Where(p => acknowledged.Contains(p.Path))];
                worst = Math.Max(worst, promised.Count);
                bool counted = liveDataNodes is null || last.LiveDataNodes <= liveDataNodes;
                if (counted && declaredDead is null && liveDataNodes is not null)
                {
                    declaredDead = clock.Elapsed.TotalSeconds;
                }
                if (counted && promised.Count == 0)
                {
                    string dead = declaredDead is { } at ? string.Create(CultureInfo.InvariantCulture, $", declared dead after {at:0.0} s") : "";
                    return (true, string.Create(CultureInfo.InvariantCulture,
                        $"every block of the {acknowledged.Count} acknowledged files fully replicated in {clock.Elapsed.TotalSeconds:0.0} s ({last.LiveDataNodes} live data nodes{dead}; at worst {worst} blocks short of replicas){Unpromised(last, acknowledged)}"));
                }
            }
            catch (Exception e) when (Clients.IsFault(e))
            {
            }
            await Task.Delay(250); // polling the cluster's repair
        }
        return (false, last is null
            ? $"no fsck answered within {options.ReplicationBound.TotalSeconds:0} s"
            : $"after {options.ReplicationBound.TotalSeconds:0} s, blocks of acknowledged files: {string.Join(", ", promised.Take(5).Select(Describe))}{Unpromised(last, acknowledged)}");
    }

    private static string Unpromised(FsckResult fsck, IReadOnlySet<string> acknowledged)
    {
        var others = fsck.Problems.Where(p => !acknowledged.Contains(p.Path)).ToList();
        return others.Count == 0 ? "" : $"; of files never acknowledged, {others.Count} block(s) not healthy: {string.Join(", ", others.Take(3).Select(Describe))}";
    }

    private static string Describe(FsckProblem p) => $"{p.Path} {p.Block} {p.Health} on [{string.Join(',', p.Live)}]";
}
