using Colony.Client.FileSystem;
using Colony.Client.Jobs;
using Xunit.Abstractions;

namespace Colony.IntegrationTests.Compute;

/// <summary>A local cluster with its file-system and job clients, and what job tests need of them.</summary>
internal sealed class ComputeCluster : IAsyncDisposable
{
    public const int Block = 1024 * 1024;
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    /// <summary>Short timeouts, so lost workers and hung tasks are noticed within a test's patience.</summary>
    public static readonly IReadOnlyDictionary<string, object> FastFaults = new Dictionary<string, object>
    {
        ["WorkerTimeoutMs"] = 3000,
        ["ProgressTimeoutMs"] = 8000,
        ["MapSlots"] = 2,
        ["ReduceSlots"] = 2,
        ["SortBufferBytes"] = 4 * 1024 * 1024,
    };

    /// <summary><see cref="FastFaults"/>, with tasks run as the node's own user: short-circuit reads need that.</summary>
    public static readonly IReadOnlyDictionary<string, object> AsNodeUser = new Dictionary<string, object>(FastFaults) { ["TaskUser"] = "" };

    public ComputeCluster(int nodes, IReadOnlyDictionary<string, object>? compute = null)
    {
        Cluster = new LocalCluster(nodes, compute: compute ?? FastFaults);
        Fs = Cluster.FileSystem();
        Jobs = new JobClient([.. Cluster.Ids.Select(id => new Uri(Cluster.HttpAddress(id)))], Cluster.Secret);
    }

    public LocalCluster Cluster { get; }

    public ColonyFileSystem Fs { get; }

    public JobClient Jobs { get; }

    /// <summary>Waits for a leader and for every node to serve as a data node.</summary>
    public async Task StartAsync()
    {
        await Cluster.WaitForLeaderAsync();
        int nodes = Cluster.Ids.Count();
        await LocalCluster.WaitForAsync(async () =>
        {
            try
            {
                return await Fs.FsckAsync();
            }
            catch (Exception e) when (e is FsException or HttpRequestException)
            {
                return null;
            }
        }, r => r.LiveDataNodes == nodes, Patience, $"{nodes} live data nodes");
    }

    public async Task PutAsync(string path, byte[] data, short replication = 3)
    {
        var stream = await Fs.CreateAsync(path, new FsCreateOptions { BlockSize = Block, Replication = replication });
        await using (stream)
        {
            await stream.WriteAsync(data);
        }
    }

    public async Task<byte[]> ReadAsync(string path)
    {
        var stream = await Fs.OpenReadAsync(path);
        await using (stream)
        {
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            return copy.ToArray();
        }
    }

    /// <summary>The job's output files in name order, each read whole.</summary>
    public async Task<IReadOnlyList<(string Name, byte[] Bytes)>> PartsAsync(string output)
    {
        var parts = new List<(string, byte[])>();
        foreach (var entry in (await Fs.ListAsync(output)).Where(e => Path.GetFileName(e.Path).StartsWith("part-", StringComparison.Ordinal)).OrderBy(e => e.Path, StringComparer.Ordinal))
        {
            parts.Add((Path.GetFileName(entry.Path), await ReadAsync(entry.Path)));
        }
        return parts;
    }

    /// <summary>A word count's output: every part's word and count lines, failing if a word is in two parts.</summary>
    public async Task<IOrderedEnumerable<KeyValuePair<string, long>>> CountsAsync(string output)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (_, bytes) in await PartsAsync(output))
        {
            foreach (var (word, count) in Corpus.ParseCounts(bytes))
            {
                Assert.True(counts.TryAdd(word, count), $"{word} is in two parts");
            }
        }
        return counts.OrderBy(e => e.Key, StringComparer.Ordinal);
    }

    /// <summary>The word counts of <paramref name="text"/>, computed here, in the order <see cref="CountsAsync"/> gives.</summary>
    public static IOrderedEnumerable<KeyValuePair<string, long>> Expected(byte[] text) =>
        Corpus.WordCounts(text).OrderBy(e => e.Key, StringComparer.Ordinal);

    /// <summary>A built-in word count job.</summary>
    public static JobRequest WordCount(string input, string output, int reducers = 1) => new()
    {
        Name = "wordcount", Inputs = [input], Output = output, Reducers = reducers,
        Settings = new() { [Colony.Client.MapReduce.JobSettings.BuiltIn] = "wordcount" },
    };

    public async Task<JobDetail> WaitAsync(string id)
    {
        using var timeout = new CancellationTokenSource(Patience);
        return await Jobs.WaitAsync(id, cancellationToken: timeout.Token);
    }

    /// <summary>Polls the job until <paramref name="condition"/> holds of it.</summary>
    public Task<JobDetail> WaitForAsync(string id, Func<JobDetail, bool> condition, string what) =>
        LocalCluster.WaitForAsync(async () => await Jobs.GetAsync(id), condition, Patience, what);

    /// <summary>Runs the colony command against this cluster.</summary>
    public Task<(int Code, string Output)> CliAsync(params string[] args) =>
        ColonyCli.RunAsync(new Dictionary<string, string> { ["COLONY_SECRET_FILE"] = Cluster.SecretFile }, [.. args, "--cluster", Cluster.HttpAddresses]);

    public LocalCluster.LogDump DumpLogsOnFailure(ITestOutputHelper output) => Cluster.DumpLogsOnFailure(output, tailLines: 80);

    public async ValueTask DisposeAsync()
    {
        Jobs.Dispose();
        Fs.Dispose();
        await Cluster.DisposeAsync();
    }
}
