using System.Diagnostics;
using Colony.Testing;

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

    /// <summary>
    /// A base port whose whole 4-node layout (P+10(i−1) + 0 to 4, and the TLS port 100 above each
    /// node's ZooKeeper port) is free now and reserved across every test process on the machine.
    /// </summary>
    public static int FindFreeBasePort() =>
        TestPorts.Layout(basePort => Enumerable.Range(0, 4).SelectMany(i => new[] { 0, 1, 2, 3, 4, 100 }.Select(o => basePort + (10 * i) + o)));
}
