using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Colony.Node.Hosting;

using Colony.Testing;

namespace Colony.IntegrationTests;

/// <summary>
/// Real `colony node` processes on loopback, each with its own data directory under a temporary
/// folder. Every process it starts is killed on dispose, even when a test fails.
/// </summary>
internal sealed class LocalCluster : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = true };
    private readonly Dictionary<ulong, Process> _processes = [];
    private readonly List<Process> _retired = [];
    private readonly Dictionary<ulong, (int Peer, int Http, int ZooKeeper)> _ports = [];
    private readonly IReadOnlyDictionary<ulong, IReadOnlyDictionary<string, object>>? _coordinationByNode;
    private readonly Dictionary<ulong, int> _dataPorts = [];
    private readonly IReadOnlyDictionary<string, object>? _coordination;
    private readonly IReadOnlyDictionary<string, object>? _compute;
    private readonly string _root = Directory.CreateTempSubdirectory("colony-it-").FullName;
    private readonly string _clusterId = Guid.NewGuid().ToString();
    private readonly string _secretFile;
    private readonly HashSet<ulong> _joining = [];

    /// <param name="nodes">How many voters to start.</param>
    /// <param name="coordination">Settings for every node's "Colony:Coordination" section, e.g. a short tick time.</param>
    /// <param name="compute">Settings for every node's "Colony:Compute" section, e.g. a short worker timeout.</param>
    /// <param name="prepare">Called with each node's id and data directory before the node first starts, e.g. to mount a small disk there.</param>
    /// <param name="coordinationByNode">Settings for one node's "Colony:Coordination" section, over <paramref name="coordination"/>.</param>
    public LocalCluster(int nodes, IReadOnlyDictionary<string, object>? coordination = null, IReadOnlyDictionary<string, object>? compute = null,
        Action<ulong, string>? prepare = null, IReadOnlyDictionary<ulong, IReadOnlyDictionary<string, object>>? coordinationByNode = null)
    {
        _coordination = coordination;
        _coordinationByNode = coordinationByNode;
        _compute = compute;
        _secretFile = Path.Combine(_root, "secret");
        File.WriteAllText(_secretFile, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        for (ulong id = 1; id <= (ulong)nodes; id++)
        {
            _ports[id] = (FreePort(), FreePort(), FreePort());
            _dataPorts[id] = FreePort();
        }
        foreach (var id in _ports.Keys)
        {
            WriteConfig(id);
            prepare?.Invoke(id, DataDirectory(id));
            Start(id);
        }
    }

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>The cluster id every node's configuration names.</summary>
    public string ClusterId => _clusterId;

    /// <summary>The cluster's shared secret, as the nodes read it from their secret file.</summary>
    public byte[] Secret => Convert.FromBase64String(File.ReadAllText(_secretFile).Trim());

    public IEnumerable<ulong> Ids => _ports.Keys;

    /// <summary>The file holding the cluster secret (for COLONY_SECRET_FILE).</summary>
    public string SecretFile => _secretFile;

    /// <summary>Every node's HTTP address, comma-separated, as --cluster takes them.</summary>
    public string HttpAddresses => string.Join(',', _ports.Keys.Select(HttpAddress));

    public string HttpAddress(ulong id) => $"http://127.0.0.1:{_ports[id].Http}";

    private readonly SortedSet<ulong> _logIds = [];

    public string LogOf(ulong id) => File.Exists(LogPath(id)) ? File.ReadAllText(LogPath(id)) : "";

    public int PeerPort(ulong id) => _ports[id].Peer;

    /// <summary>The node's ZooKeeper client address, host:port.</summary>
    public string ZooKeeperAddress(ulong id) => $"127.0.0.1:{_ports[id].ZooKeeper}";

    /// <summary>Every node's ZooKeeper client address, as a ZooKeeper connect string.</summary>
    public string ConnectString => string.Join(',', _ports.Keys.Select(ZooKeeperAddress));

    public int HttpPort(ulong id) => _ports[id].Http;

    /// <summary>The node's block transfer address (it is a data node), host:port.</summary>
    public string DataAddress(ulong id) => $"127.0.0.1:{_dataPorts[id]}";

    /// <summary>How many finalized block replicas the node holds on disk.</summary>
    public int ReplicaCount(ulong id)
    {
        string finalized = Path.Combine(DataDirectory(id), "blocks", "finalized");
        return Directory.Exists(finalized)
            ? Directory.EnumerateFiles(finalized, "blk_*", SearchOption.AllDirectories).Count(f => !f.EndsWith(".meta", StringComparison.Ordinal))
            : 0;
    }

    /// <summary>The file system as a client sees it through every node's HTTP address.</summary>
    public Colony.Client.FileSystem.ColonyFileSystem FileSystem(Colony.Client.FileSystem.ColonyFileSystemOptions? options = null) =>
        new([.. _ports.Keys.Select(id => new Uri(HttpAddress(id)))], Secret, options);

    /// <summary>The peer address as the membership endpoint expects it, host:port.</summary>
    public string PeerAddress(ulong id) => $"127.0.0.1:{_ports[id].Peer}";

    /// <summary>
    /// Starts a new node whose configuration says Join: it starts with no membership and waits for the
    /// leader to add it. Returns its id.
    /// </summary>
    public ulong StartJoiningNode()
    {
        ulong id = _ports.Keys.Max() + 1;
        _ports[id] = (FreePort(), FreePort(), FreePort());
        _dataPorts[id] = FreePort();
        _joining.Add(id);
        WriteConfig(id);
        Start(id);
        return id;
    }

    /// <summary>Kills a node that has left the cluster and forgets it: it is no longer among <see cref="Ids"/>.</summary>
    public void Retire(ulong id)
    {
        if (_processes.Remove(id, out var process))
        {
            KillProcess(process);
            _retired.Add(process);
        }
        _ports.Remove(id);
    }

    /// <summary>Whether the node's process is running (it may still be starting up).</summary>
    public bool IsRunning(ulong id) => _processes.TryGetValue(id, out var p) && !p.HasExited;

    /// <summary>The process id of the node's current process.</summary>
    public int ProcessId(ulong id) => _processes[id].Id;

    public void Start(ulong id)
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "colony.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(cli);
        start.ArgumentList.Add("node");
        start.ArgumentList.Add("--config");
        start.ArgumentList.Add(ConfigPath(id));
        _logIds.Add(id);
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start a node");
        var log = new StreamWriter(LogPath(id), append: true) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes[id] = process;
    }

    /// <summary>SIGKILL: the node gets no chance to flush or say goodbye.</summary>
    public void Kill(ulong id) => KillProcess(_processes[id]);

    private static void KillProcess(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // It exited meanwhile.
        }
        process.WaitForExit();
    }

    /// <summary>SIGTERM, then wait for a graceful exit.</summary>
    public async Task StopAsync(ulong id)
    {
        var process = _processes[id];
        Signal(process.Id, 15);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await process.WaitForExitAsync(timeout.Token);
    }

    public async Task<NodeStatus?> StatusAsync(ulong id)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            return await Http.GetFromJsonAsync<NodeStatus>($"{HttpAddress(id)}/status", Json, timeout.Token);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>Polls until <paramref name="condition"/> holds, or fails after <paramref name="timeout"/>.</summary>
    public static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe, Func<T, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = Stopwatch.StartNew();
        T? last = default;
        while (deadline.Elapsed < timeout)
        {
            last = await probe();
            if (last is not null && condition(last))
            {
                return last;
            }
            await Task.Yield();
            await Task.Delay(50); // polling interval of an external process, not a stand-in for synchronisation
        }
        throw new TimeoutException($"timed out after {timeout.TotalSeconds:0} s waiting for {what}; last seen: {last}");
    }

    /// <summary>The leader that a majority of live nodes agree on.</summary>
    public async Task<ulong> WaitForLeaderAsync(IEnumerable<ulong>? among = null, ulong excluding = 0)
    {
        var ids = (among ?? Ids).ToList();
        var status = await WaitForAsync(
            async () =>
            {
                var all = await Task.WhenAll(ids.Select(StatusAsync));
                return all.Where(s => s is not null).Select(s => s!).ToList();
            },
            all => all.Any(s => s.Role == "leader" && s.Id != excluding
                && all.Count(o => o.Leader == s.Id && o.Term == s.Term) > ids.Count / 2),
            TimeSpan.FromSeconds(30), "a leader");
        return status.First(s => s.Role == "leader" && s.Id != excluding).Id;
    }

    /// <summary>Waits until every node (or just <paramref name="only"/>) answers "ruok" on its ZooKeeper port.</summary>
    public async Task WaitUntilZooKeeperServesAsync(ulong? only = null)
    {
        foreach (ulong id in only is { } one ? [one] : Ids.ToList())
        {
            await WaitForAsync(() => FourLetterWordAsync(id, "ruok"), answer => answer == "imok",
                TimeSpan.FromSeconds(30), $"node {id} to serve ZooKeeper clients");
        }
    }

    /// <summary>Sends a four-letter word to the node's ZooKeeper port; null if it cannot be reached.</summary>
    public async Task<string?> FourLetterWordAsync(ulong id, string word)
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await client.ConnectAsync(IPAddress.Loopback, _ports[id].ZooKeeper, timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(word), timeout.Token);
            using var answer = new MemoryStream();
            await stream.CopyToAsync(answer, timeout.Token);
            return System.Text.Encoding.ASCII.GetString(answer.ToArray());
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>The id of the node serving <paramref name="httpAddress"/>, or 0 if none of ours does.</summary>
    public ulong IdOf(string? httpAddress) =>
        httpAddress is null ? 0 : _ports.Keys.FirstOrDefault(id => string.Equals(HttpAddress(id), httpAddress.TrimEnd('/'), StringComparison.Ordinal));

    /// <summary>The cluster token (the secret, base64): the superuser's bearer token.</summary>
    public string ClusterToken => Convert.ToBase64String(Secret);

    /// <summary>PUT /kv/{key} with the cluster token: key-value writes are an administrator's.</summary>
    public async Task<HttpResponseMessage> PutAsync(ulong id, string key, string value)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"{HttpAddress(id)}/kv/{key}") { Content = new StringContent(value) };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ClusterToken);
        return await Http.SendAsync(request);
    }

    /// <summary>Writes through whichever node leads, retrying (bounded) across leader changes. Puts are idempotent.</summary>
    public async Task WriteAsync(string key, string value, IEnumerable<ulong>? among = null)
    {
        var candidates = (among ?? Ids).ToList();
        for (int attempt = 0; attempt < 20; attempt++)
        {
            ulong leader = await WaitForLeaderAsync(candidates);
            var response = await PutAsync(leader, key, value);
            if (response.StatusCode == HttpStatusCode.NoContent)
            {
                return;
            }
        }
        throw new InvalidOperationException($"write of {key} did not succeed after 20 attempts");
    }

    /// <summary>
    /// Writes the end of every node's log (the last <paramref name="tailLines"/> lines) to the test output
    /// when disposed without <see cref="LogDump.Pass"/>.
    /// </summary>
    public LogDump DumpLogsOnFailure(Xunit.Abstractions.ITestOutputHelper output, int tailLines = 200) => new(this, output, tailLines);

    internal sealed class LogDump(LocalCluster cluster, Xunit.Abstractions.ITestOutputHelper output, int tailLines) : IDisposable
    {
        private bool _passed;

        /// <summary>The test passed: no need for the logs.</summary>
        public void Pass() => _passed = true;

        public void Dispose()
        {
            if (_passed)
            {
                return;
            }
            foreach (var id in cluster._logIds)
            {
                output.WriteLine($"---- node {id} (last {tailLines} lines) ----");
                var lines = cluster.LogOf(id).Split('\n');
                output.WriteLine(string.Join('\n', lines.Skip(Math.Max(0, lines.Length - tailLines))));
            }
        }
    }

    /// <summary>Killed nodes leave their task directories behind (see <see cref="TaskDirectories"/>).</summary>
    private void RemoveTaskDirectories()
    {
        foreach (string dataDir in Directory.EnumerateDirectories(_root, "node-*"))
        {
            TaskDirectories.RemoveRecorded(dataDir);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes.Values.Concat(_retired))
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync();
                }
            }
            catch (InvalidOperationException)
            {
            }
            process.Dispose();
        }
        Http.Dispose();
        TestPorts.Release(_reservedPorts);
        RemoveTaskDirectories();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Node <paramref name="id"/>'s data directory.</summary>
    public string DataDirectory(ulong id) => Path.Combine(_root, $"node-{id}");

    private string ConfigPath(ulong id) => Path.Combine(_root, $"node-{id}.json");

    private string LogPath(ulong id) => Path.Combine(_root, $"node-{id}.log");

    private void WriteConfig(ulong id)
    {
        var config = new
        {
            Colony = new
            {
                NodeId = id,
                Join = _joining.Contains(id),
                ClusterId = _clusterId,
                SecretFile = _secretFile,
                DataDir = DataDirectory(id),
                Peer = $"127.0.0.1:{_ports[id].Peer}",
                Http = HttpAddress(id),
                ZooKeeper = ZooKeeperAddress(id),
                DataTransfer = DataAddress(id),
                // Test volumes are small shared disks: keep no reserve beyond the blocks themselves.
                BlockReserveBytes = 0,
                Coordination = CoordinationFor(id),
                Compute = _compute ?? new Dictionary<string, object>(),
                Members = _ports.Select(p => new { Id = p.Key, Peer = $"127.0.0.1:{p.Value.Peer}", Http = HttpAddress(p.Key), ZooKeeper = ZooKeeperAddress(p.Key) }),
            },
        };
        File.WriteAllText(ConfigPath(id), JsonSerializer.Serialize(config));
    }

    private Dictionary<string, object> CoordinationFor(ulong id)
    {
        var settings = new Dictionary<string, object>(_coordination ?? new Dictionary<string, object>());
        foreach (var (key, value) in _coordinationByNode?.GetValueOrDefault(id) ?? new Dictionary<string, object>())
        {
            settings[key] = value;
        }
        return settings;
    }

    private readonly List<int> _reservedPorts = [];

    // Reserved across every test process on the machine until the cluster is disposed.
    private int FreePort()
    {
        var port = TestPorts.One();
        _reservedPorts.Add(port);
        return port;
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true, EntryPoint = "kill")]
    private static extern int SysKill(int pid, int signal);

    /// <summary>Sends a signal to a process by id (e.g. 9 to kill one a node started).</summary>
    public static void SignalProcess(int pid, int signal) => Signal(pid, signal);

    private static void Signal(int pid, int signal)
    {
        if (SysKill(pid, signal) != 0)
        {
            throw new InvalidOperationException($"could not signal process {pid}");
        }
    }
}
