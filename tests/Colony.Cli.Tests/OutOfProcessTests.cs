using System.Diagnostics;

namespace Colony.Cli.Tests;

/// <summary>The built <c>colony</c> executable, as a shell runs it: exit codes and stderr.</summary>
public sealed class OutOfProcessTests
{
    [Fact]
    public async Task Help_exits_zero()
    {
        var (exitCode, output, error) = await RunAsync("--help");

        Assert.Equal(0, exitCode);
        Assert.Contains("Usage:", output, StringComparison.Ordinal);
        Assert.Equal("", error);
    }

    [Fact]
    public async Task Unknown_command_prints_one_line_and_fails()
    {
        var (exitCode, output, error) = await RunAsync("frobnicate");

        Assert.Equal(2, exitCode);
        Assert.Equal("", output);
        Assert.Equal("colony: unrecognized command or argument 'frobnicate' (see colony --help)\n", error);
    }

    [Fact]
    public async Task Status_of_a_missing_directory_prints_one_line_and_fails()
    {
        using var directory = new TemporaryDirectory();

        var (exitCode, _, error) = await RunAsync("status", "--data", directory.Combine("none"));

        Assert.Equal(1, exitCode);
        Assert.Equal($"colony: no cluster in {directory.Combine("none")}: cluster.json not found (start one with colony up)\n", error);
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo(TestHost.Dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(TestHost.Colony);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("COLONY_DATA");
        start.Environment.Remove("COLONY_CLUSTER");
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var error = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, await output, await error);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }
}
