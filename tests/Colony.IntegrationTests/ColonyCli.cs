using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Colony.IntegrationTests;

/// <summary>Runs the real `colony` command from the test's build output.</summary>
internal static class ColonyCli
{
    public static Task<(int Code, string Output)> RunAsync(params string[] args) => RunAsync(new Dictionary<string, string>(), args);

    /// <summary>Runs the command with extra environment variables (e.g. COLONY_SECRET_FILE).</summary>
    public static async Task<(int Code, string Output)> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
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

    /// <summary>A base port whose whole 4-node layout (P+10(i−1) + 0 to 4) is free right now.</summary>
    public static int FindFreeBasePort()
    {
        var random = new Random();
        for (int attempt = 0; attempt < 100; attempt++)
        {
            int basePort = random.Next(10_000, 32_000); // below the ephemeral range, which outgoing connections draw from
            var ports = Enumerable.Range(0, 4).SelectMany(i => new[] { 0, 1, 2, 3, 4 }.Select(o => basePort + 10 * i + o));
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
