using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Colony.IntegrationTests;

/// <summary>`colony demo` end to end: the README's first command, on real node processes.</summary>
public class DemoTests
{
    [Fact]
    public async Task The_demo_survives_the_loss_of_its_leader_and_leaves_a_healthy_cluster()
    {
        string data = Directory.CreateTempSubdirectory("colony-demo-").FullName;
        int basePort = FindFreeBasePort();
        try
        {
            var (code, output) = await RunColonyAsync("demo", "--data", data, "--base-port", basePort.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(code == 0, output);
            Assert.Contains("200 of 200", output);
            Assert.Contains("acknowledged writes survived", output);
            var (statusCode, status) = await RunColonyAsync("status", "--json", "--data", data);
            Assert.Equal(0, statusCode);
            Assert.Equal(3, status.Split("\"healthy\": true").Length - 1);
        }
        finally
        {
            await RunColonyAsync("down", "--data", data);
            Directory.Delete(data, recursive: true);
        }
    }

    private static async Task<(int Code, string Output)> RunColonyAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "colony.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>A base port whose whole 3-node layout (P+10(i−1) + 0, 1, 2, 4) is free right now.</summary>
    private static int FindFreeBasePort()
    {
        var random = new Random();
        for (int attempt = 0; attempt < 100; attempt++)
        {
            int basePort = random.Next(20_000, 60_000);
            var ports = Enumerable.Range(0, 3).SelectMany(i => new[] { 0, 1, 2, 4 }.Select(o => basePort + 10 * i + o));
            if (ports.All(IsFree))
            {
                return basePort;
            }
        }
        throw new InvalidOperationException("no free port range found");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
