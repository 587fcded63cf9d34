using System.Diagnostics;
using System.Globalization;

namespace Colony.LoadDriver;

/// <summary>What one measurement found, and how it is printed.</summary>
internal sealed record RunResult(
    DriverOptions Options,
    IReadOnlyList<long> SortedLatencyTicks,
    IReadOnlyDictionary<string, long> Errors,
    long Redirects,
    long CommitsIncludingWarmup,
    ulong? LeaderCommitDelta,
    double DriverCpuCores,
    long DriverGen0Collections)
{
    public long Commits => SortedLatencyTicks.Count;

    public double CommitsPerSecond => Commits / Options.Seconds;

    public long ErrorCount => Errors.Values.Sum();

    /// <summary>Nearest-rank percentile in milliseconds.</summary>
    public double PercentileMs(double percentile)
    {
        if (SortedLatencyTicks.Count == 0)
        {
            return double.NaN;
        }
        int rank = (int)Math.Ceiling(percentile / 100.0 * SortedLatencyTicks.Count);
        return ToMs(SortedLatencyTicks[Math.Clamp(rank - 1, 0, SortedLatencyTicks.Count - 1)]);
    }

    public void Print(TextWriter output)
    {
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c, $"commits:        {Commits} in {Options.Seconds:0.#} s ({CommitsIncludingWarmup} including warm-up)"));
        output.WriteLine(string.Create(c, $"commits/s:      {CommitsPerSecond:0}"));
        output.WriteLine(string.Create(c, $"latency ms:     p50 {PercentileMs(50):0.00}  p90 {PercentileMs(90):0.00}  p99 {PercentileMs(99):0.00}  max {PercentileMs(100):0.00}"));
        output.WriteLine(string.Create(c, $"errors:         {ErrorCount}{(Errors.Count == 0 ? "" : " (" + string.Join(", ", Errors.Select(e => $"{e.Key}: {e.Value}")) + ")")}"));
        output.WriteLine(string.Create(c, $"redirects:      {Redirects}"));
        output.WriteLine(LeaderCommitDelta is { } delta
            ? string.Create(c, $"leader commit:  +{delta} entries in the window ({delta / Options.Seconds:0}/s)")
            : "leader commit:  unknown (status unavailable or the term changed)");
        output.WriteLine(string.Create(c, $"driver CPU:     {DriverCpuCores:0.00} cores, {DriverGen0Collections} gen0 GCs"));
        output.WriteLine(string.Create(c,
            $"RESULT proposers={Options.Proposers} commits_per_s={CommitsPerSecond:0} p50_ms={PercentileMs(50):0.00} p90_ms={PercentileMs(90):0.00} p99_ms={PercentileMs(99):0.00} max_ms={PercentileMs(100):0.00} errors={ErrorCount} driver_cpu={DriverCpuCores:0.00}"));
    }

    private static double ToMs(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}
