using System.Diagnostics;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Colony.Fuzz.Tests;

/// <summary>
/// Every decoder of outside bytes is fuzzed under AFL++ for a bounded time on each run, and every
/// input that ever crashed one is replayed in-process, so a fixed crash stays fixed.
/// </summary>
public sealed partial class FuzzTests(ITestOutputHelper output)
{
    /// <summary>Per target; eight targets keep CI's fuzzing near a minute. Run longer by hand with run.sh.</summary>
    private const int Seconds = 6;

    public static TheoryData<string> Targets() => [.. FuzzTargets.All.Keys];

    [Theory]
    [MemberData(nameof(Targets))]
    public void Seeds_and_past_crashes_are_handled(string target)
    {
        var run = FuzzTargets.All[target];
        var inputs = SeedCorpus.All().Where(s => s.Target == target).Select(s => (s.Name, s.Bytes)).ToList();
        Assert.NotEmpty(inputs);
        string regressions = Path.Combine(RepositoryRoot, "tests", "Colony.Fuzz", "regressions", target);
        if (Directory.Exists(regressions))
        {
            inputs.AddRange(Directory.GetFiles(regressions).Select(f => (Path.GetFileName(f), File.ReadAllBytes(f))));
        }
        foreach (var (name, bytes) in inputs)
        {
            var error = Record.Exception(() => run(bytes));
            Assert.True(error is null, $"{target} crashed on {name}: {error}");
        }
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task Fuzzing_finds_no_crash(string target)
    {
        string script = Path.Combine(RepositoryRoot, "tests", "Colony.Fuzz", "run.sh");
        var start = new ProcessStartInfo(script) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepositoryRoot };
        start.ArgumentList.Add(target);
        start.ArgumentList.Add(Seconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        // A guard against a hung run, not a budget: the first target also builds and instruments the harness.
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        string result = (await stdout).Trim();
        output.WriteLine(result);
        Assert.True(process.ExitCode == 0, $"run.sh {target} exited {process.ExitCode}: {result}\n{await stderr}");
        var match = Summary().Match(result);
        Assert.True(match.Success, $"unexpected summary: {result}");
        Assert.Equal("0", match.Groups["crashes"].Value);
        Assert.True(long.Parse(match.Groups["execs"].Value, System.Globalization.CultureInfo.InvariantCulture) > 1000, $"too few executions to mean anything: {result}");
    }

    private static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Colony.slnx")))
                {
                    return dir.FullName;
                }
            }
            throw new InvalidOperationException("the repository root (Colony.slnx) is not above the test's directory");
        }
    }

    [GeneratedRegex(@"^fuzz \S+ execs=(?<execs>\d+) crashes=(?<crashes>\d+) hangs=\d+ seconds=\d+$", RegexOptions.Multiline)]
    private static partial Regex Summary();
}
