using System.Diagnostics;
using System.Globalization;
using Colony.IntegrationTests;
using Xunit.Abstractions;

namespace Colony.Compat.Tests;

/// <summary>
/// Apache's Java command-line client on the secure client port of a <c>colony up --tls</c> cluster,
/// configured as ZooKeeper documents it: the Netty client socket, <c>zookeeper.client.secure</c>, a
/// truststore that keytool makes from the cluster's CA, and the client certificate as a PEM keystore.
/// </summary>
public sealed class ZkCliTlsTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string ZkCli = "/usr/share/zookeeper/bin/zkCli.sh";
    private const string StorePassword = "colony-compat";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);
    private readonly string _data = Directory.CreateTempSubdirectory("colony-zkcli-tls-").FullName;
    private readonly int _basePort = ColonyCli.FindFreeBasePort();

    private string Tls(string file) => Path.Combine(_data, "tls", file);

    public async Task InitializeAsync()
    {
        var (code, text) = await ColonyCli.RunAsync("up", "--tls", "--nodes", "1", "--data", _data, "--base-port", _basePort.ToString(CultureInfo.InvariantCulture));
        output.WriteLine(text);
        Assert.True(code == 0, text);
    }

    public async Task DisposeAsync()
    {
        await ColonyCli.RunAsync("down", "--data", _data);
        Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public async Task ZkCli_over_tls_with_a_client_certificate_creates_reads_and_is_known_by_its_x509_id()
    {
        string truststore = Tls("truststore.p12");
        var (keytool, keytoolOutput) = await RunAsync("keytool", ["-importcert", "-noprompt", "-alias", "colony-ca", "-file", Tls("ca.pem"),
            "-keystore", truststore, "-storetype", "PKCS12", "-storepass", StorePassword], input: null, environment: null);
        Assert.True(keytool == 0, keytoolOutput);
        // ZooKeeper reads a PEM keystore holding the key and the certificate together.
        string keystore = Tls("client-keystore.pem");
        await File.WriteAllTextAsync(keystore, await File.ReadAllTextAsync(Tls("client.key")) + await File.ReadAllTextAsync(Tls("client.pem")));

        string flags = string.Join(' ',
            // The distribution's client class path lacks netty-codec, which the Netty socket needs.
            "-cp /etc/zookeeper/conf:/usr/share/java/zookeeper.jar:/usr/share/java/netty-codec.jar:/usr/share/java/netty-resolver.jar",
            "-Dzookeeper.clientCnxnSocket=org.apache.zookeeper.ClientCnxnSocketNetty",
            "-Dzookeeper.client.secure=true",
            $"-Dzookeeper.ssl.trustStore.location={truststore}",
            $"-Dzookeeper.ssl.trustStore.password={StorePassword}",
            "-Dzookeeper.ssl.trustStore.type=PKCS12",
            $"-Dzookeeper.ssl.keyStore.location={keystore}",
            "-Dzookeeper.ssl.keyStore.type=PEM");
        string server = $"127.0.0.1:{_basePort + 4}";
        var (code, text) = await RunAsync(ZkCli, ["-server", server], "create /java-tls over-tls\nget /java-tls\nwhoami\nquit\n",
            new Dictionary<string, string> { ["CLIENT_JVMFLAGS"] = flags });
        output.WriteLine(text);

        Assert.True(code == 0, text);
        var lines = text.Split('\n', StringSplitOptions.TrimEntries);
        Assert.Contains("Created /java-tls", lines);
        Assert.Contains("over-tls", lines);
        Assert.Contains("x509: CN=colony-client,O=Colony", lines);
    }

    private static async Task<(int Code, string Output)> RunAsync(string program, string[] args, string? input, IReadOnlyDictionary<string, string>? environment)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(input ?? "");
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(Bound);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} did not finish within {Bound}");
        }
        return (process.ExitCode, await stdout + await stderr);
    }
}
