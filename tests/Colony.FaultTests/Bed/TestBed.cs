using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Colony.FaultTests.Nemeses;
using Colony.Node.Diagnostics;
using Colony.Node.Hosting;
using Colony.Testing;

namespace Colony.FaultTests.Bed;

/// <summary>Settings of a bed.</summary>
public sealed record BedOptions
{
    public int Nodes { get; init; } = 5;

    /// <summary>Every node's "Colony:Coordination" section, e.g. a short tick time.</summary>
    public IReadOnlyDictionary<string, object> Coordination { get; init; } = new Dictionary<string, object>();

    /// <summary>
    /// With a size, each node's data directory is a tmpfs of that many MiB, so that the full-disk
    /// nemesis can fill it without touching the machine's disk. Null: the directories are on disk.
    /// </summary>
    public int? DiskMiB { get; init; }

    /// <summary>Every node's "Colony:FileSystem" section, e.g. how soon a silent data node is dead.</summary>
    public IReadOnlyDictionary<string, object> FileSystem { get; init; } = new Dictionary<string, object>();

    /// <summary>Every node's "Colony:Compute" section.</summary>
    public IReadOnlyDictionary<string, object> Compute { get; init; } = new Dictionary<string, object>();

    /// <summary>
    /// Starts the nodes with the test-only fault hooks enabled (<see cref="Colony.Node.Diagnostics.FaultHooks"/>), so that the
    /// slow-disk and clock-jump nemeses can set their fsync delay and clock offset.
    /// </summary>
    public bool FaultHooks { get; init; }

    /// <summary>
    /// How many client hosts (<see cref="ClientHost"/>) to build, each beside one node in turn. With none,
    /// clients can only run in the root namespace, which partitions do not cut.
    /// </summary>
    public int ClientHosts { get; init; }
}

/// <summary>
/// A network of hosts on one machine: one Linux network namespace per node (cx-PID-I), each joined
/// by a veth pair to a bridge in the root namespace, each with its own address in a /24 chosen for
/// this run, and a real `colony node` inside binding that address. Client hosts
/// (<see cref="ClientHost"/>, cx-PID-cK) are namespaces on the same bridge, each beside one node.
/// Partitions are nftables rules inside each namespace, as a switch failure would be: nodes are cut
/// from nodes, and a client host from the nodes its node is cut from. The root namespace (the test's
/// own view: status polls, checkers' final reads) reaches every node through the bridge's address
/// and is never cut. Lossy and slow links degrade all of a node's traffic at both ends of its veth
/// pair (<see cref="LinkShaping"/>).
/// </summary>
/// <remarks>
/// Every port is fixed: each node has a network stack of its own, so nothing can clash with other
/// test runs. Disposal kills the nodes by pid and deletes the namespaces, veths and bridge, also when
/// the test failed; a process exit does the same, and the next bed removes what a dead run left.
/// </remarks>
public sealed partial class TestBed : IAsyncDisposable
{
    public const int ZooKeeperPort = 2181;
    public const int PeerPort = 2380;
    public const int HttpPort = 8080;
    public const int DataPort = 9866;
    private const string Table = "colonyfaults";

    private static readonly ConcurrentDictionary<TestBed, byte> Live = new();
    private static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = true };
    private static int _sequence;

    private readonly BedOptions _options;
    private readonly int _subnet;
    private readonly string _tag;
    private readonly Dictionary<int, Process> _processes = [];
    private readonly HashSet<int> _paused = [];
    private readonly Dictionary<int, int[]> _rules = [];
    private readonly List<ClientHost> _clientHosts = [];
    private readonly Lock _gate = new();
    private bool _cleaned;
    private bool? _netem;

    static TestBed() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        foreach (var bed in Live.Keys)
        {
            bed.Cleanup();
        }
    };

    private TestBed(BedOptions options, int subnet)
    {
        _options = options;
        _subnet = subnet;
        // Interface names have at most 15 characters: "cxb" + pid + sequence letter fits.
        _tag = $"{Environment.ProcessId}{(char)('a' + Interlocked.Increment(ref _sequence) % 26)}";
        Root = Directory.CreateTempSubdirectory($"colony-faults-{_tag}-").FullName;
        SecretFile = Path.Combine(Root, "secret");
        File.WriteAllText(SecretFile, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
    }

    /// <summary>Where the nodes' configurations, data directories and logs live.</summary>
    public string Root { get; }

    public string SecretFile { get; }

    public IReadOnlyList<int> Nodes => [.. Enumerable.Range(1, _options.Nodes)];

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(3) };

    /// <summary>The address the root namespace has on the bridge.</summary>
    public string HostAddress => $"10.77.{_subnet}.1";

    public string Address(int node) => $"10.77.{_subnet}.{10 + node}";

    public string Namespace(int node) => $"cx-{_tag}-{node}";

    /// <summary>The hosts clients run on, in the order built; empty unless <see cref="BedOptions.ClientHosts"/> asked for some.</summary>
    public IReadOnlyList<ClientHost> ClientHosts => _clientHosts;

    private string ClientNamespace(int k) => $"cx-{_tag}-c{k}";

    private string ClientVeth(int k) => $"cx{_tag}c{k}";

    private string ClientAddress(int k) => $"10.77.{_subnet}.{100 + k}";

    /// <summary>A host of a partition: nodes are 1..n, client host k is n + k.</summary>
    private string AddressOfHost(int host) => host <= _options.Nodes ? Address(host) : ClientAddress(host - _options.Nodes);

    private string NamespaceOfHost(int host) => host <= _options.Nodes ? Namespace(host) : ClientNamespace(host - _options.Nodes);

    public string ZooKeeperAddress(int node) => $"{Address(node)}:{ZooKeeperPort}";

    public string ConnectString => string.Join(',', Nodes.Select(ZooKeeperAddress));

    public string HttpAddress(int node) => $"http://{Address(node)}:{HttpPort}";

    public string LogPath(int node) => Path.Combine(Root, $"node-{node}.log");

    private string Bridge => $"cxb{_tag}";

    private string HostVeth(int node) => $"cx{_tag}{node}";

    /// <summary>Builds the network and starts a node in every namespace. Fails loudly if this machine cannot.</summary>
    public static TestBed Create(BedOptions? options = null)
    {
        BedSupport.Require();
        CleanStale();
        options ??= new BedOptions();
        var bed = new TestBed(options, FreeSubnet());
        Live[bed] = 0;
        try
        {
            bed.BuildNetwork();
            foreach (var node in bed.Nodes)
            {
                bed.MountDisk(node);
                bed.WriteConfig(node);
                bed.Start(node);
            }
        }
        catch
        {
            bed.Cleanup();
            throw;
        }
        return bed;
    }

    private void BuildNetwork()
    {
        Shell.Run("ip", "link", "add", Bridge, "type", "bridge");
        Shell.Run("ip", "addr", "add", $"{HostAddress}/24", "dev", Bridge);
        Shell.Run("ip", "link", "set", Bridge, "up");
        foreach (var node in Nodes)
        {
            AddHost(Namespace(node), HostVeth(node), Address(node));
        }
        for (int k = 1; k <= _options.ClientHosts; k++)
        {
            AddHost(ClientNamespace(k), ClientVeth(k), ClientAddress(k));
            _clientHosts.Add(new ClientHost(k, _options.Nodes + k, ClientNamespace(k), ClientAddress(k), beside: (k - 1) % _options.Nodes + 1));
        }
    }

    /// <summary>A namespace on the bridge: a veth pair ("eth0" inside), its address, and an empty filter table for partitions.</summary>
    private void AddHost(string ns, string veth, string address)
    {
        Shell.Run("ip", "netns", "add", ns);
        Shell.Run("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns);
        Shell.Run("ip", "link", "set", veth, "master", Bridge, "up");
        Shell.Run("ip", "-n", ns, "addr", "add", $"{address}/24", "dev", "eth0");
        Shell.Run("ip", "-n", ns, "link", "set", "eth0", "up");
        Shell.Run("ip", "-n", ns, "link", "set", "lo", "up");
        Shell.InNamespace(ns, "nft",
            $"add table inet {Table}; " +
            $"add chain inet {Table} input {{ type filter hook input priority 0; policy accept; }}; " +
            $"add chain inet {Table} output {{ type filter hook output priority 0; policy accept; }}");
    }

    /// <summary>Whether `tc netem` can shape this bed's links (the kernel may lack sch_netem). Probed once.</summary>
    public bool NetemAvailable => _netem ??= BedSupport.NetemAvailable(Namespace(1));

    /// <summary>A node's veth pair: "eth0" in its namespace, its peer on the bridge.</summary>
    public HostLink Link(int node) => new(node, Namespace(node), "eth0", HostVeth(node));

    /// <summary>
    /// Runs a link fault's commands and checks that every probe shows it in force. Throws if a command
    /// fails or a probe does not show it; the caller heals either way.
    /// </summary>
    public void Shape(LinkPlan plan)
    {
        foreach (var command in plan.Apply)
        {
            Execute(command);
        }
        var missing = plan.Probes.Where(p => !p.Shows(Execute(p.Command))).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException($"link fault not in force after applying it: {string.Join("; ", missing.Select(p => $"`{p.Command}` lacks \"{p.Marker}\""))}");
        }
    }

    /// <summary>
    /// Runs a link fault's heal (each command even if another failed, as the fault may be half applied)
    /// and checks that no probe shows it any more. Throws if one still does.
    /// </summary>
    public void Unshape(LinkPlan plan)
    {
        foreach (var command in plan.Heal)
        {
            TryExecute(command);
        }
        var left = plan.Probes.Where(p => p.Shows(TryExecute(p.Command).Output)).ToList();
        if (left.Count > 0)
        {
            throw new InvalidOperationException($"link fault still in force after its heal: {string.Join("; ", left.Select(p => $"`{p.Command}` shows \"{p.Marker}\""))}");
        }
    }

    private static string Execute(BedCommand command) => command.Namespace is { } ns
        ? Shell.InNamespace(ns, command.File, [.. command.Arguments])
        : Shell.Run(command.File, [.. command.Arguments]);

    private static (int Exit, string Output, string Error) TryExecute(BedCommand command) => command.Namespace is { } ns
        ? Shell.TryRun("ip", ["netns", "exec", ns, command.File, .. command.Arguments])
        : Shell.TryRun(command.File, [.. command.Arguments]);

    // ---------------------------------------------------------------- nodes

    public void Start(int node)
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "colony.dll");
        // exec all the way down, so the pid we hold is the node's own.
        var start = new ProcessStartInfo("sh") { UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("exec ip netns exec \"$0\" dotnet \"$1\" node --config \"$2\" >>\"$3\" 2>&1");
        start.ArgumentList.Add(Namespace(node));
        start.ArgumentList.Add(cli);
        start.ArgumentList.Add(ConfigPath(node));
        start.ArgumentList.Add(LogPath(node));
        if (_options.FaultHooks)
        {
            start.Environment[Colony.Node.Diagnostics.FaultHooks.Variable] = Colony.Node.Diagnostics.FaultHooks.EnableValue;
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start node {node}");
        lock (_gate)
        {
            _processes[node] = process;
        }
    }

    public bool IsRunning(int node)
    {
        lock (_gate)
        {
            return _processes.TryGetValue(node, out var p) && !p.HasExited;
        }
    }

    /// <summary>kill -9: no flush, no goodbye.</summary>
    public void Kill(int node)
    {
        Process? process;
        lock (_gate)
        {
            _processes.TryGetValue(node, out process);
            _paused.Remove(node);
        }
        if (process is not null && !process.HasExited)
        {
            Signals.Send(process.Id, Signals.Kill);
            process.WaitForExit();
        }
    }

    /// <summary>Starts a killed node again on its data directory.</summary>
    public void Restart(int node)
    {
        if (IsRunning(node))
        {
            throw new InvalidOperationException($"node {node} is still running");
        }
        Start(node);
    }

    /// <summary>SIGSTOP: the node freezes with its sockets open, as in a long GC pause or a stalled VM.</summary>
    public void Pause(int node)
    {
        lock (_gate)
        {
            if (_processes.TryGetValue(node, out var p) && !p.HasExited && Signals.Send(p.Id, Signals.Stop))
            {
                _paused.Add(node);
            }
        }
    }

    public void Resume(int node)
    {
        lock (_gate)
        {
            if (_processes.TryGetValue(node, out var p) && _paused.Remove(node))
            {
                Signals.Send(p.Id, Signals.Continue);
            }
        }
    }

    /// <summary>Fills the node's data directory with a filler file until the disk refuses another byte; returns the filler's size.</summary>
    public long FillDisk(int node)
    {
        if (_options.DiskMiB is null)
        {
            throw new InvalidOperationException("the full-disk nemesis needs a bed with DiskMiB set");
        }
        var chunk = new byte[1 << 20];
        long written = 0;
        using var filler = new FileStream(FillerPath(node), FileMode.Create, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        try
        {
            while (true)
            {
                filler.Write(chunk);
                written += chunk.Length;
            }
        }
        catch (IOException)
        {
            // Full. The last partial chunk may have landed too; what counts is that nothing more fits.
        }
        try
        {
            // Smaller writes take the last bytes a whole chunk could not.
            while (true)
            {
                filler.Write(chunk, 0, 4096);
                written += 4096;
            }
        }
        catch (IOException)
        {
        }
        return written;
    }

    /// <summary>Deletes the filler, if any.</summary>
    public void EmptyDisk(int node) => File.Delete(FillerPath(node));

    private string DataDir(int node) => Path.Combine(Root, $"node-{node}");

    private string FillerPath(int node) => Path.Combine(DataDir(node), "nemesis-filler");

    private void MountDisk(int node)
    {
        Directory.CreateDirectory(DataDir(node));
        if (_options.DiskMiB is { } size)
        {
            Shell.Run("mount", "-t", "tmpfs", "-o", $"size={size}m", "tmpfs", DataDir(node));
        }
    }

    /// <summary>Whether the nodes run with their test-only fault hooks.</summary>
    public bool HasFaultHooks => _options.FaultHooks;

    /// <summary>
    /// Sets a node's test-only fault hooks (null leaves one as it is): a delay before each fsync of its
    /// write-ahead log, and an offset on its wall clock. Throws if the node does not answer.
    /// </summary>
    public async Task SetFaultHooksAsync(int node, TimeSpan? fsyncDelay = null, TimeSpan? clockOffset = null)
    {
        if (!_options.FaultHooks)
        {
            throw new InvalidOperationException("this bed's nodes run without fault hooks (BedOptions.FaultHooks)");
        }
        var change = new FaultHooksView((long?)fsyncDelay?.TotalMilliseconds, (long?)clockOffset?.TotalMilliseconds);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Put, $"{HttpAddress(node)}{FaultHooksEndpoints.Path}")
            {
                Content = JsonContent.Create(change),
            };
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", File.ReadAllText(SecretFile).Trim());
            try
            {
                using var response = await Http.SendAsync(request);
                if (!response.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException($"node {node} refused the fault hooks change: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }
                return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && clock.Elapsed < HooksBound)
            {
                await Task.Delay(200); // a loaded node may answer late; the change is idempotent
            }
        }
    }

    private static readonly TimeSpan HooksBound = TimeSpan.FromSeconds(15);

    public string LogOf(int node) => File.Exists(LogPath(node)) ? File.ReadAllText(LogPath(node)) : "";

    // ---------------------------------------------------------------- network

    /// <summary>
    /// Replaces the partition in force with <paramref name="cuts"/> (between nodes; each client host
    /// follows the node it stands beside): each namespace drops traffic to and from the hosts it is cut
    /// from. Namespaces whose rules change are updated most-cut first, nodes before client hosts, so an
    /// isolated node is cut off by the first update. Returns the timestamp of that first update.
    /// </summary>
    public long Partition(Cuts cuts)
    {
        long first = Stopwatch.GetTimestamp();
        bool any = false;
        cuts = cuts.WithClientHosts([.. _clientHosts.Select(c => c.Beside)], _options.Nodes);
        var hosts = Enumerable.Range(1, _options.Nodes + _clientHosts.Count);
        var order = hosts.OrderByDescending(n => cuts.CutFrom(n).Count()).ThenBy(n => n);
        foreach (var node in order)
        {
            var peers = cuts.CutFrom(node).Order().ToArray();
            lock (_gate)
            {
                if (_rules.TryGetValue(node, out var current) && current.SequenceEqual(peers))
                {
                    continue;
                }
            }
            var commands = new List<string> { $"flush table inet {Table}" };
            foreach (var peer in peers)
            {
                commands.Add($"add rule inet {Table} input ip saddr {AddressOfHost(peer)} drop");
                commands.Add($"add rule inet {Table} output ip daddr {AddressOfHost(peer)} drop");
            }
            Shell.InNamespace(NamespaceOfHost(node), "nft", string.Join("; ", commands));
            lock (_gate)
            {
                _rules[node] = peers;
            }
            if (!any)
            {
                first = Stopwatch.GetTimestamp();
                any = true;
            }
        }
        return first;
    }

    /// <summary>Every node reaches every other again.</summary>
    public void HealNetwork() => Partition(Cuts.None);

    // ---------------------------------------------------------------- status

    public async Task<NodeStatus?> StatusAsync(int node, CancellationToken cancellationToken = default)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(1));
            return await Http.GetFromJsonAsync<NodeStatus>($"{HttpAddress(node)}/status", Json, timeout.Token);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or OperationCanceledException or JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// The leader that a majority of <paramref name="among"/> (default: all; with <paramref name="everyone"/>,
    /// every one of them) agree on, other than <paramref name="excluding"/>; null if there is none yet.
    /// </summary>
    public async Task<int?> AgreedLeaderAsync(IReadOnlyList<int>? among = null, int excluding = 0, bool everyone = false)
    {
        among ??= Nodes;
        var all = (await Task.WhenAll(among.Select(n => StatusAsync(n)))).Where(s => s is not null).Select(s => s!).ToList();
        int quorum = everyone ? among.Count : _options.Nodes / 2 + 1;
        var leader = all.FirstOrDefault(s => s.Role == "leader" && (int)s.Id != excluding
            && all.Count(o => o.Leader == s.Id && o.Term == s.Term) >= Math.Min(quorum, among.Count));
        return leader is null ? null : (int)leader.Id;
    }

    /// <summary>Waits for an agreed leader (see <see cref="AgreedLeaderAsync"/>), or fails after <paramref name="timeout"/>.</summary>
    public async Task<int> WaitForLeaderAsync(TimeSpan timeout, IReadOnlyList<int>? among = null, int excluding = 0, bool everyone = false)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (await AgreedLeaderAsync(among, excluding, everyone) is { } leader)
            {
                return leader;
            }
            await Task.Delay(25); // polling external processes, not a stand-in for synchronisation
        }
        throw new TimeoutException($"no agreed leader after {timeout.TotalSeconds:0} s");
    }

    /// <summary>Copies the nodes' logs and configurations to <paramref name="directory"/>, for a person to read after a violation.</summary>
    public void KeepLogs(string directory)
    {
        Directory.CreateDirectory(directory);
        foreach (var node in Nodes)
        {
            if (File.Exists(LogPath(node)))
            {
                File.Copy(LogPath(node), Path.Combine(directory, $"node-{node}.log"), overwrite: true);
            }
            // What each disk holds, to tell replicas gone from the disks from replicas the leader lost track of.
            string blocks = Path.Combine(DataDir(node), "blocks");
            if (Directory.Exists(blocks))
            {
                File.WriteAllLines(Path.Combine(directory, $"node-{node}-blocks.txt"),
                    Directory.EnumerateFiles(blocks, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(blocks, f)).Order(StringComparer.Ordinal));
            }
        }
    }

    // ---------------------------------------------------------------- teardown

    public async ValueTask DisposeAsync()
    {
        await Task.Run(Cleanup);
        Http.Dispose();
        GC.SuppressFinalize(this);
    }

    ~TestBed() => Cleanup();

    /// <summary>Kills the nodes by pid and deletes the namespaces, veths and bridge. Idempotent; never throws.</summary>
    private void Cleanup()
    {
        List<Process> processes;
        lock (_gate)
        {
            if (_cleaned)
            {
                return;
            }
            _cleaned = true;
            processes = [.. _processes.Values];
        }
        foreach (var process in processes)
        {
            try
            {
                if (!process.HasExited)
                {
                    Signals.Send(process.Id, Signals.Kill);
                    // A stopped process dies of SIGKILL too; wait so the namespace is empty when deleted.
                    process.WaitForExit(10_000);
                }
                process.Dispose();
            }
            catch (InvalidOperationException)
            {
            }
        }
        foreach (var node in Nodes)
        {
            // Before the data directories go (and before a disk-limited one is unmounted): they name them.
            TaskDirectories.RemoveRecorded(DataDir(node));
        }
        foreach (var host in _clientHosts)
        {
            host.Dispose();
        }
        for (int k = 1; k <= _options.ClientHosts; k++)
        {
            Shell.TryRun("ip", "netns", "del", ClientNamespace(k));
            Shell.TryRun("ip", "link", "del", ClientVeth(k));
        }
        foreach (var node in Nodes)
        {
            Shell.TryRun("ip", "netns", "del", Namespace(node));
            Shell.TryRun("ip", "link", "del", HostVeth(node));
            // A lossy link's table on the bridge end outlives the veth; the namespace's own went with it.
            Shell.TryRun("nft", "delete", "table", "netdev", LinkShaping.BridgeLossTable(HostVeth(node)));
        }
        Shell.TryRun("ip", "link", "del", Bridge);
        if (_options.DiskMiB is not null)
        {
            foreach (var node in Nodes)
            {
                Shell.TryRun("umount", "-l", DataDir(node));
            }
        }
        Live.TryRemove(this, out _);
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    [GeneratedRegex(@"^cx-(\d+)[a-z]-c?\d+$")]
    private static partial Regex StaleNamespace();

    [GeneratedRegex(@"/colony-faults-(\d+)[a-z]-[^/]*/node-\d+$")]
    private static partial Regex StaleDisk();

    [GeneratedRegex(@"^\d+:\s+(cxb?(\d+)[a-z](?:c?\d+)?)[@:]")]
    private static partial Regex StaleLink();

    [GeneratedRegex(@"^table netdev (colonyloss_cx(\d+)[a-z]\d+)$")]
    private static partial Regex StaleLossTable();

    /// <summary>Removes the namespaces, veths and bridges of runs whose process is gone, and kills what still runs in them.</summary>
    private static void CleanStale()
    {
        foreach (var line in Shell.TryRun("ip", "netns", "list").Output.Split('\n'))
        {
            string name = line.Split(' ', 2)[0].Trim();
            var match = StaleNamespace().Match(name);
            if (match.Success && !Signals.IsAlive(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)))
            {
                foreach (var pid in Shell.TryRun("ip", "netns", "pids", name).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    Signals.Send(int.Parse(pid.Trim(), CultureInfo.InvariantCulture), Signals.Kill);
                }
                Shell.TryRun("ip", "netns", "del", name);
            }
        }
        // Small disks of dead runs: tmpfs mounts under their bed's directory.
        foreach (var line in File.ReadAllLines("/proc/mounts"))
        {
            var mountPoint = line.Split(' ')[1];
            var match = StaleDisk().Match(mountPoint);
            if (match.Success && !Signals.IsAlive(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)))
            {
                Shell.TryRun("umount", "-l", mountPoint);
            }
        }
        foreach (var line in Shell.TryRun("ip", "-o", "link", "show").Output.Split('\n'))
        {
            var match = StaleLink().Match(line);
            if (match.Success && !Signals.IsAlive(int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture)))
            {
                Shell.TryRun("ip", "link", "del", match.Groups[1].Value);
            }
        }
        foreach (var line in Shell.TryRun("nft", "list", "tables", "netdev").Output.Split('\n'))
        {
            var match = StaleLossTable().Match(line.Trim());
            if (match.Success && !Signals.IsAlive(int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture)))
            {
                Shell.TryRun("nft", "delete", "table", "netdev", match.Groups[1].Value);
            }
        }
    }

    /// <summary>A 10.77.X.0/24 that no interface on this machine uses, starting from one derived from the pid.</summary>
    private static int FreeSubnet()
    {
        string used = Shell.Run("ip", "-o", "addr", "show");
        int first = 100 + (Environment.ProcessId + _sequence) % 150;
        for (int i = 0; i < 150; i++)
        {
            int candidate = 100 + (first - 100 + i) % 150;
            if (!used.Contains($"10.77.{candidate}.", StringComparison.Ordinal))
            {
                return candidate;
            }
        }
        throw new InvalidOperationException("every 10.77.X.0/24 from 100 to 249 is in use");
    }

    private string ConfigPath(int node) => Path.Combine(Root, $"node-{node}.json");

    private void WriteConfig(int node)
    {
        var config = new
        {
            Colony = new
            {
                NodeId = node,
                ClusterId = $"faults-{_tag}",
                SecretFile,
                DataDir = DataDir(node),
                Peer = $"{Address(node)}:{PeerPort}",
                Http = HttpAddress(node),
                ZooKeeper = ZooKeeperAddress(node),
                DataTransfer = $"{Address(node)}:{DataPort}",
                BlockReserveBytes = 0,
                Coordination = _options.Coordination,
                FileSystem = _options.FileSystem,
                Compute = _options.Compute,
                Members = Nodes.Select(n => new { Id = n, Peer = $"{Address(n)}:{PeerPort}", Http = HttpAddress(n) }),
            },
        };
        File.WriteAllText(ConfigPath(node), JsonSerializer.Serialize(config));
    }
}
