using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Colony.Testing;

/// <summary>
/// One Apache ZooKeeper server process of a <see cref="ReferenceZooKeeper"/>: its directory (zoo.cfg,
/// myid, data, log), its ports, and the running JVM if any.
/// </summary>
internal sealed class ReferenceZooKeeperServer
{
    private readonly ReferenceZooKeeperOptions _options;
    private readonly Lock _logGate = new();
    private Process? _process;
    private StreamWriter? _log;
    private bool _killed;

    public ReferenceZooKeeperServer(int id, string directory, int clientPort, int quorumPort, int electionPort, ReferenceZooKeeperOptions options)
    {
        Id = id;
        Directory = directory;
        ClientPort = clientPort;
        QuorumPort = quorumPort;
        ElectionPort = electionPort;
        _options = options;
    }

    public int Id { get; }

    public string Directory { get; }

    public int ClientPort { get; }

    public int QuorumPort { get; }

    public int ElectionPort { get; }

    public string ClientAddress => $"127.0.0.1:{ClientPort.ToString(CultureInfo.InvariantCulture)}";

    public string ConfigPath => Path.Combine(Directory, "zoo.cfg");

    public string DataDirectory => Path.Combine(Directory, "data");

    public string LogPath => Path.Combine(Directory, "server.log");

    public bool IsRunning => _process is { HasExited: false };

    public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

    /// <summary>Whether the process exited without being killed (a bad config, a taken port).</summary>
    public bool CrashedOnItsOwn => !_killed && _process is { HasExited: true };

    /// <summary>
    /// Writes zoo.cfg and myid. <paramref name="peers"/> lists every server of the ensemble, or is
    /// empty for a standalone server.
    /// </summary>
    public void WriteConfig(IReadOnlyList<ReferenceZooKeeperServer> peers)
    {
        System.IO.Directory.CreateDirectory(DataDirectory);
        var config = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"tickTime={_options.TickTimeMilliseconds}")
            .AppendLine(CultureInfo.InvariantCulture, $"initLimit={_options.InitLimitTicks}")
            .AppendLine(CultureInfo.InvariantCulture, $"syncLimit={_options.SyncLimitTicks}")
            .AppendLine(CultureInfo.InvariantCulture, $"dataDir={DataDirectory}")
            .AppendLine(CultureInfo.InvariantCulture, $"clientPort={ClientPort}")
            .AppendLine("clientPortAddress=127.0.0.1")
            // forceSync stays at its default (yes): every transaction is fsynced, as in production.
            .AppendLine("4lw.commands.whitelist=*")
            .AppendLine("admin.enableServer=false")
            // No automatic snapshot purging or dynamic reconfiguration: a test ensemble is short-lived.
            .AppendLine("autopurge.purgeInterval=0")
            .AppendLine("reconfigEnabled=false");
        foreach (var peer in peers)
        {
            config.AppendLine(CultureInfo.InvariantCulture, $"server.{peer.Id}=127.0.0.1:{peer.QuorumPort}:{peer.ElectionPort}");
        }
        File.WriteAllText(ConfigPath, config.ToString());
        File.WriteAllText(Path.Combine(DataDirectory, "myid"), Id.ToString(CultureInfo.InvariantCulture) + "\n");
    }

    public void Start()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException($"server {Id} is already running");
        }
        var start = new ProcessStartInfo(_options.Java)
        {
            WorkingDirectory = Directory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // The flags the distribution's zkServer.sh passes, minus JMX remoting, plus a bounded heap.
        start.ArgumentList.Add($"-Xmx{_options.MaxHeapMegabytes.ToString(CultureInfo.InvariantCulture)}m");
        start.ArgumentList.Add("-XX:+ExitOnOutOfMemoryError");
        start.ArgumentList.Add("-Djava.net.preferIPv4Stack=true");
        start.ArgumentList.Add($"-Dzookeeper.log.dir={Directory}");
        start.ArgumentList.Add("-Dorg.slf4j.simpleLogger.showDateTime=true");
        start.ArgumentList.Add("-cp");
        start.ArgumentList.Add(File.Exists(_options.LoggingJar) ? $"{_options.ZooKeeperJar}:{_options.LoggingJar}" : _options.ZooKeeperJar);
        start.ArgumentList.Add("org.apache.zookeeper.server.quorum.QuorumPeerMain");
        start.ArgumentList.Add(ConfigPath);

        _log?.Dispose();
        _log = new StreamWriter(LogPath, append: true) { AutoFlush = true };
        _log.WriteLine($"--- starting server {Id}");
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {_options.Java}");
        process.StandardInput.Close();
        process.OutputDataReceived += (_, e) => AppendLog(e.Data);
        process.ErrorDataReceived += (_, e) => AppendLog(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process?.Dispose();
        _process = process;
        _killed = false;
    }

    /// <summary>SIGKILL: no goodbye to the peers or the clients, as a crash.</summary>
    public void Kill()
    {
        var process = _process;
        if (process is null)
        {
            return;
        }
        _killed = true;
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // It exited on its own meanwhile.
        }
        process.WaitForExit();
    }

    /// <summary>The end of the server's log, for failure messages.</summary>
    public string LogTail(int lines = 40)
    {
        lock (_logGate)
        {
            if (!File.Exists(LogPath))
            {
                return "";
            }
            using var reader = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var text = new StreamReader(reader);
            var all = text.ReadToEnd().Split('\n');
            return string.Join('\n', all.TakeLast(lines));
        }
    }

    public void DisposeProcess()
    {
        Kill();
        _process?.Dispose();
        _process = null;
        lock (_logGate)
        {
            _log?.Dispose();
            _log = null;
        }
    }

    private void AppendLog(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_logGate)
        {
            _log?.WriteLine(line);
        }
    }
}
