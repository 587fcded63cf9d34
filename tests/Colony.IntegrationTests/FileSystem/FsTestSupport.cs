using System.Diagnostics;
using Colony.Client.FileSystem;

namespace Colony.IntegrationTests.FileSystem;

/// <summary>
/// Node settings for the nodes a test starts, as COLONY_ environment variables the node processes inherit.
/// Integration tests run one at a time (see AssemblyInfo), so setting them for the test's span is safe;
/// Dispose puts back what was there.
/// </summary>
internal sealed class NodeEnvironment : IDisposable
{
    private readonly Dictionary<string, string?> _previous = [];

    public NodeEnvironment(IReadOnlyDictionary<string, string> settings)
    {
        foreach (var (key, value) in settings)
        {
            string name = "COLONY_Colony__" + key.Replace(":", "__", StringComparison.Ordinal);
            _previous[name] = Environment.GetEnvironmentVariable(name);
            Environment.SetEnvironmentVariable(name, value);
        }
    }

    /// <summary>Short file-system timings: dead after 3 s, repair planned every 250 ms.</summary>
    public static NodeEnvironment FastRepair(params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string>
        {
            ["FileSystem:DeadNodeAfterMs"] = "3000",
            ["FileSystem:RepairIntervalMs"] = "250",
        };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }
        return new NodeEnvironment(settings);
    }

    public void Dispose()
    {
        foreach (var (name, value) in _previous)
        {
            Environment.SetEnvironmentVariable(name, value);
        }
    }
}

/// <summary>Shared steps of the file-system tests.</summary>
internal static class Fs
{
    public const int Block = 1024 * 1024;
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public static FsCreateOptions Small(short replication = 3) => new() { BlockSize = Block, Replication = replication };

    public static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>
    /// `colony fs put` of <paramref name="data"/> into a cluster with no room for a block: it must fail with a
    /// short message, and what it leaves at <paramref name="path"/> must not look like a complete file.
    /// </summary>
    public static async Task PutIsRefusedForSpaceAsync(LocalCluster cluster, ColonyFileSystem fs, string path, byte[] data, Xunit.Abstractions.ITestOutputHelper output)
    {
        var envVars = new Dictionary<string, string> { ["COLONY_SECRET_FILE"] = cluster.SecretFile };
        string local = Path.Combine(Path.GetTempPath(), $"colony-full-{Guid.NewGuid():N}");
        await File.WriteAllBytesAsync(local, data);
        try
        {
            var (code, text) = await ColonyCli.RunAsync(envVars, ["fs", "put", local, path, "--block-size", "1M", "--cluster", cluster.HttpAddresses]);
            output.WriteLine(text);
            Assert.NotEqual(0, code);
            Assert.Contains("room for a block", text, StringComparison.Ordinal);
            Assert.True(text.Trim().Split('\n').Length <= 3, $"a short message, not a stack trace: {text}");
        }
        finally
        {
            File.Delete(local);
        }
        var status = await fs.StatAsync(path);
        Assert.True(status is null || status.State != "complete" || status.Length == 0 && status.ClosedByRecovery,
            $"no partial file may look complete: {status}");
    }

    public static async Task WriteAsync(ColonyFileSystem fs, string path, byte[] data, FsCreateOptions options)
    {
        var stream = await fs.CreateAsync(path, options);
        await using (stream)
        {
            for (int offset = 0; offset < data.Length;)
            {
                int count = Math.Min(data.Length - offset, 300_001);
                await stream.WriteAsync(data.AsMemory(offset, count));
                offset += count;
            }
        }
    }

    public static async Task<byte[]> ReadAllAsync(ColonyFileSystem fs, string path)
    {
        var stream = await fs.OpenReadAsync(path);
        await using (stream)
        {
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            return copy.ToArray();
        }
    }

    public static async Task<FsckResult?> TryFsckAsync(ColonyFileSystem fs, string path = "/")
    {
        try
        {
            return await fs.FsckAsync(path);
        }
        catch (Exception e) when (e is FsException or HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>The data nodes the leader knows (from heartbeats, so it answers during the report grace too), or null on a fault.</summary>
    public static async Task<IReadOnlyList<FsDataNode>?> TryDataNodesAsync(ColonyFileSystem fs)
    {
        try
        {
            return await fs.DataNodesAsync();
        }
        catch (Exception e) when (e is FsException or HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    public static Task WaitForDataNodesAsync(ColonyFileSystem fs, int count) =>
        LocalCluster.WaitForAsync(async () => await TryFsckAsync(fs), r => r.LiveDataNodes == count, Patience, $"{count} live data nodes");

    public static Task<FsckResult> WaitHealthyAsync(ColonyFileSystem fs, string what) =>
        LocalCluster.WaitForAsync(async () => await TryFsckAsync(fs), r => r.Status == "HEALTHY", Patience, what);

    /// <summary>The node's data directory (LocalCluster keeps node i under the cluster root as node-i).</summary>
    public static string DataDir(LocalCluster cluster, ulong id) =>
        Path.Combine(Path.GetDirectoryName(cluster.SecretFile)!, $"node-{id}");

    /// <summary>The node's finalized replica data files (not their .meta sidecars), by file name.</summary>
    public static IReadOnlyDictionary<string, string> Replicas(LocalCluster cluster, ulong id)
    {
        string finalized = Path.Combine(DataDir(cluster, id), "blocks", "finalized");
        return Directory.Exists(finalized)
            ? Directory.EnumerateFiles(finalized, "blk_*", SearchOption.AllDirectories)
                .Where(f => !f.EndsWith(".meta", StringComparison.Ordinal))
                .ToDictionary(f => Path.GetFileName(f), f => f)
            : new Dictionary<string, string>();
    }

    /// <summary>Every replica file name on every node (or on <paramref name="nodes"/> only): name → holders.</summary>
    public static Dictionary<string, List<ulong>> ReplicaMap(LocalCluster cluster, IEnumerable<ulong>? nodes = null)
    {
        var map = new Dictionary<string, List<ulong>>();
        foreach (var id in nodes ?? cluster.Ids)
        {
            foreach (var name in Replicas(cluster, id).Keys)
            {
                if (!map.TryGetValue(name, out var holders))
                {
                    map[name] = holders = [];
                }
                holders.Add(id);
            }
        }
        return map;
    }

    /// <summary>Inverts a run of bytes in the middle of a replica's data file, behind the store's back.</summary>
    public static void FlipBytes(string file)
    {
        File.SetAttributes(file, FileAttributes.Normal);
        using var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite);
        long at = stream.Length / 2;
        var bytes = new byte[16];
        stream.Position = at;
        stream.ReadExactly(bytes);
        for (int i = 0; i < bytes.Length; i++)
        {
            bytes[i] ^= 0xFF;
        }
        stream.Position = at;
        stream.Write(bytes);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Waits until <paramref name="condition"/> holds, polling; returns how long it took.</summary>
    public static async Task<TimeSpan> TimeUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        await LocalCluster.WaitForAsync(async () => (object?)(await condition() ? true : null), _ => true, timeout, what);
        return clock.Elapsed;
    }
}
