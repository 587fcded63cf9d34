using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Colony.Testing;

namespace Colony.Client.Tests;

/// <summary>
/// A standalone Apache ZooKeeper server (the Debian package's jars) on a free loopback port in
/// 24000–24999, with its data in a temporary directory. It is ready once it answers "ruok" with
/// "imok"; it is stopped by killing the process it started, by PID.
/// </summary>
public sealed class StandaloneZooKeeper : ServerFixture
{
    private const int FirstPort = 24000;
    private const int PortCount = 1000;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    // The jars ZooKeeperServerMain needs; slf4j-simple sends its warnings to the log file.
    private static readonly string[] Jars =
    [
        "zookeeper.jar", "zookeeper-jute.jar", "slf4j-api.jar", "slf4j-simple.jar", "metrics-core.jar", "snappy-java.jar", "commons-cli.jar",
        "netty-handler.jar", "netty-transport.jar", "netty-common.jar", "netty-buffer.jar", "netty-resolver.jar", "netty-codec.jar",
        "netty-transport-native-epoll.jar", "netty-transport-native-unix-common.jar",
    ];

    private readonly string directory = Directory.CreateTempSubdirectory("colony-zk-").FullName;
    private Process? process;

    public int Port { get; private set; }

    public override string ConnectString => ServerAddress(0);

    public override int ServerCount => 1;

    public string LogPath => Path.Combine(directory, "zookeeper.log");

    public override string ServerAddress(int server) => $"127.0.0.1:{Port}";

    public override async Task InitializeAsync()
    {
        for (int attempt = 0; ; attempt++)
        {
            // Reserved across every test process on the machine, so two runs never pick the same port.
            Port = TestPorts.One(FirstPort, FirstPort + PortCount - 1);
            try
            {
                await StartAsync().ConfigureAwait(false);
                return;
            }
            catch (InvalidOperationException) when (attempt < 5)
            {
                // Something outside the test runs took the port between the probe and the bind: try another.
            }
        }
    }

    public override async Task KillAsync(int server)
    {
        Process? running = process;
        process = null;
        if (running is null)
        {
            return;
        }
        try
        {
            running.Kill();
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
        await running.WaitForExitAsync().ConfigureAwait(false);
        running.Dispose();
    }

    public override Task RestartAsync(int server) => process is null ? StartAsync() : Task.CompletedTask;

    public override async Task DisposeAsync()
    {
        await KillAsync(0).ConfigureAwait(false);
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Sends a four-letter word and returns the whole answer.</summary>
    public async Task<string> FourLetterWordAsync(string word, CancellationToken cancellationToken = default)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Port, cancellationToken).ConfigureAwait(false);
        NetworkStream stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(word), cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        return await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task StartAsync()
    {
        string data = Path.Combine(directory, "data");
        Directory.CreateDirectory(data);
        string config = Path.Combine(directory, "zoo.cfg");
        File.WriteAllText(config, string.Join('\n',
            "tickTime=500",
            "minSessionTimeout=1000",
            "maxSessionTimeout=60000",
            $"dataDir={data}",
            $"clientPort={Port.ToString(CultureInfo.InvariantCulture)}",
            "clientPortAddress=127.0.0.1",
            "4lw.commands.whitelist=*",
            "admin.enableServer=false",
            ""));

        string java = File.Exists("/usr/bin/java") ? "/usr/bin/java" : "java";
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        start.ArgumentList.Add("-c");
        // exec: the PID we hold is the JVM's, so killing it stops the server.
        start.ArgumentList.Add("exec \"$0\" \"$@\" >>\"$ZK_LOG\" 2>&1");
        start.ArgumentList.Add(java);
        foreach (string argument in (string[])[
            "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            "-Dzookeeper.extendedTypesEnabled=true",
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
            "-cp", ClassPath(),
            "org.apache.zookeeper.server.ZooKeeperServerMain", config])
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["ZK_LOG"] = LogPath;
        process = Process.Start(start) ?? throw new InvalidOperationException("java did not start");

        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < StartTimeout)
        {
            if (process.HasExited)
            {
                string log = File.Exists(LogPath) ? File.ReadAllText(LogPath) : "";
                int exitCode = process.ExitCode;
                process.Dispose();
                process = null;
                throw new InvalidOperationException($"ZooKeeper exited with {exitCode} while starting on port {Port}:\n{log}");
            }
            if (await AnswersImOkAsync().ConfigureAwait(false))
            {
                return;
            }
            await Task.Delay(PollInterval).ConfigureAwait(false);
        }
        await KillAsync(0).ConfigureAwait(false);
        throw new TimeoutException($"ZooKeeper on port {Port} did not answer ruok within {StartTimeout.TotalSeconds} s; see {LogPath}");
    }

    private async Task<bool> AnswersImOkAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            return await FourLetterWordAsync("ruok", timeout.Token).ConfigureAwait(false) == "imok";
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }

    private static string ClassPath()
    {
        string? custom = Environment.GetEnvironmentVariable("ZOOKEEPER_CLASSPATH");
        if (!string.IsNullOrEmpty(custom))
        {
            return custom;
        }
        const string JarDirectory = "/usr/share/java";
        string[] paths = [.. Jars.Select(jar => Path.Combine(JarDirectory, jar))];
        string? missing = paths.FirstOrDefault(p => !File.Exists(p));
        return missing is null
            ? string.Join(':', paths)
            : throw new InvalidOperationException($"{missing} is missing: install the zookeeper package or set ZOOKEEPER_CLASSPATH.");
    }
}
