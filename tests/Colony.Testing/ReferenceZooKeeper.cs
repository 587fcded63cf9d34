using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Colony.Testing;

/// <summary>What a reference server says it is, from its <c>srvr</c> four-letter word.</summary>
public enum ReferenceZooKeeperMode
{
    /// <summary>Running, but not serving clients: electing, syncing, or shutting down.</summary>
    NotServing,
    Leader,
    Follower,
    Standalone,
}

/// <summary>
/// Apache ZooKeeper, the reference implementation, run on loopback from the installed package: a
/// quorum ensemble (<see cref="StartEnsembleAsync"/>) or a single standalone server
/// (<see cref="StartStandaloneAsync"/>). Each server gets its own directory with its zoo.cfg, data
/// and log under one temporary folder. Servers can be killed and restarted; disposing kills every
/// process it started and deletes the folder, also when the test failed.
/// </summary>
public sealed class ReferenceZooKeeper : IAsyncDisposable
{
    private readonly ReferenceZooKeeperOptions _options;
    private readonly string _root;
    private readonly SortedDictionary<int, ReferenceZooKeeperServer> _servers = [];
    private readonly int[] _ports;
    private bool _disposed;

    private ReferenceZooKeeper(ReferenceZooKeeperOptions options, int servers, bool standalone)
    {
        _options = options;
        IsStandalone = standalone;
        _root = Directory.CreateTempSubdirectory("colony-refzk-").FullName;
        _ports = TestPorts.Many(3 * servers, options.FirstPort, options.LastPort);
        for (var id = 1; id <= servers; id++)
        {
            var i = 3 * (id - 1);
            var directory = Path.Combine(_root, $"server{id}");
            Directory.CreateDirectory(directory);
            _servers[id] = new ReferenceZooKeeperServer(id, directory, _ports[i], _ports[i + 1], _ports[i + 2], options);
        }
        var peers = standalone ? [] : _servers.Values.ToList();
        foreach (var server in _servers.Values)
        {
            server.WriteConfig(peers);
        }
    }

    /// <summary>Whether this is a single server without a quorum.</summary>
    public bool IsStandalone { get; }

    /// <summary>Server ids, from 1.</summary>
    public IReadOnlyCollection<int> ServerIds => _servers.Keys;

    /// <summary>Every server's client address, "127.0.0.1:p1,127.0.0.1:p2,...", as clients take it.</summary>
    public string ConnectString => string.Join(',', _servers.Values.Select(s => s.ClientAddress));

    /// <summary>The temporary folder holding every server's directory.</summary>
    public string RootDirectory => _root;

    /// <summary>
    /// Starts an ensemble of <paramref name="servers"/> servers and returns once one leads and all
    /// others follow.
    /// </summary>
    public static Task<ReferenceZooKeeper> StartEnsembleAsync(int servers = 3, ReferenceZooKeeperOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(servers, 2);
        return StartAsync(options ?? new(), servers, standalone: false, cancellationToken);
    }

    /// <summary>Starts one standalone server and returns once it serves clients.</summary>
    public static Task<ReferenceZooKeeper> StartStandaloneAsync(ReferenceZooKeeperOptions? options = null, CancellationToken cancellationToken = default) =>
        StartAsync(options ?? new(), 1, standalone: true, cancellationToken);

    private static async Task<ReferenceZooKeeper> StartAsync(ReferenceZooKeeperOptions options, int servers, bool standalone, CancellationToken cancellationToken)
    {
        options.Validate();
        var zk = new ReferenceZooKeeper(options, servers, standalone);
        try
        {
            foreach (var server in zk._servers.Values)
            {
                server.Start();
            }
            await zk.WaitUntilServingAsync(cancellationToken).ConfigureAwait(false);
            return zk;
        }
        catch
        {
            await zk.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The client address of one server, "127.0.0.1:port".</summary>
    public string ClientAddress(int id) => Server(id).ClientAddress;

    /// <summary>The id of the server at a client address ("host:port"), or null if none of ours.</summary>
    public int? ServerIdOf(string clientAddress)
    {
        var port = clientAddress[(clientAddress.LastIndexOf(':') + 1)..];
        foreach (var server in _servers.Values)
        {
            if (int.TryParse(port, out var p) && p == server.ClientPort)
            {
                return server.Id;
            }
        }
        return null;
    }

    /// <summary>Whether the server's process is running (it may not be serving yet).</summary>
    public bool IsRunning(int id) => Server(id).IsRunning;

    /// <summary>The server's log so far (its JVM's output).</summary>
    public string LogOf(int id) => Server(id).LogTail(int.MaxValue);

    /// <summary>SIGKILL to one server: it goes as in a crash, keeping its data directory.</summary>
    public void Kill(int id) => Server(id).Kill();

    /// <summary>
    /// Starts a killed server again on the same ports and data, and returns once the whole ensemble
    /// serves again (it rejoined as a follower, or leads).
    /// </summary>
    public async Task RestartAsync(int id, CancellationToken cancellationToken = default)
    {
        var server = Server(id);
        server.Kill();
        server.Start();
        await WaitUntilServingAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Polls <c>srvr</c> until every running server serves: one leader and followers for the rest, or
    /// the standalone server. Fails with the servers' logs after the start timeout, or as soon as a
    /// server's process exits.
    /// </summary>
    public async Task WaitUntilServingAsync(CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var modes = new SortedDictionary<int, ReferenceZooKeeperMode>();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var server in _servers.Values)
            {
                if (server.CrashedOnItsOwn && server.ExitCode is { } code)
                {
                    throw new InvalidOperationException($"ZooKeeper server {server.Id} exited with code {code}:\n{server.LogTail()}");
                }
            }
            modes.Clear();
            foreach (var server in _servers.Values.Where(s => s.IsRunning))
            {
                modes[server.Id] = await ModeAsync(server.Id, cancellationToken).ConfigureAwait(false);
            }
            if (IsServing(modes.Values.ToList()))
            {
                return;
            }
            if (clock.Elapsed > _options.StartTimeout)
            {
                var seen = string.Join(", ", modes.Select(m => $"{m.Key}={m.Value}"));
                var logs = string.Join("\n", _servers.Values.Select(s => $"--- server {s.Id}:\n{s.LogTail()}"));
                throw new TimeoutException($"the reference ZooKeeper did not serve within {_options.StartTimeout.TotalSeconds:0} s ({seen})\n{logs}");
            }
            // Polling an external process; the next probe is the synchronisation.
            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
        }
    }

    private bool IsServing(List<ReferenceZooKeeperMode> modes)
    {
        if (modes.Count == 0)
        {
            return false;
        }
        if (IsStandalone)
        {
            return modes.All(m => m == ReferenceZooKeeperMode.Standalone);
        }
        return modes.Count(m => m == ReferenceZooKeeperMode.Leader) == 1
            && modes.All(m => m is ReferenceZooKeeperMode.Leader or ReferenceZooKeeperMode.Follower);
    }

    /// <summary>What the server says it is; <see cref="ReferenceZooKeeperMode.NotServing"/> if it does not answer.</summary>
    public async Task<ReferenceZooKeeperMode> ModeAsync(int id, CancellationToken cancellationToken = default)
    {
        var reply = await FourLetterWordAsync(id, "srvr", cancellationToken).ConfigureAwait(false);
        var mode = reply.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("Mode: ", StringComparison.Ordinal));
        return mode?["Mode: ".Length..] switch
        {
            "leader" => ReferenceZooKeeperMode.Leader,
            "follower" => ReferenceZooKeeperMode.Follower,
            "standalone" => ReferenceZooKeeperMode.Standalone,
            _ => ReferenceZooKeeperMode.NotServing,
        };
    }

    /// <summary>The id of the current leader, or null if none serves as leader now.</summary>
    public async Task<int?> LeaderAsync(CancellationToken cancellationToken = default)
    {
        foreach (var server in _servers.Values.Where(s => s.IsRunning))
        {
            if (await ModeAsync(server.Id, cancellationToken).ConfigureAwait(false) == ReferenceZooKeeperMode.Leader)
            {
                return server.Id;
            }
        }
        return null;
    }

    /// <summary>
    /// Sends a four-letter word ("srvr", "mntr", "cons", ...) and returns the whole reply; empty if
    /// the server does not accept the connection or closes it without answering.
    /// </summary>
    public async Task<string> FourLetterWordAsync(int id, string word, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(word);
        var server = Server(id);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", server.ClientPort, timeout.Token).ConfigureAwait(false);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(word), timeout.Token).ConfigureAwait(false);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return await reader.ReadToEndAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return "";
        }
    }

    /// <summary>Kills every server process it started and deletes the temporary folder.</summary>
    public ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return ValueTask.CompletedTask;
        }
        _disposed = true;
        foreach (var server in _servers.Values)
        {
            server.DisposeProcess();
        }
        TestPorts.Release(_ports);
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temporary folder is not worth failing a test run for.
        }
        return ValueTask.CompletedTask;
    }

    private ReferenceZooKeeperServer Server(int id) =>
        _servers.TryGetValue(id, out var server) ? server : throw new ArgumentOutOfRangeException(nameof(id), id, "no such server");
}
