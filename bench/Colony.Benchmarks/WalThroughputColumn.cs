using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Colony.Benchmarks;

/// <summary>
/// Rates derived from the mean time of one Append+Sync of BatchSize entries of EntryBytes each.
/// MB are 10^6 bytes, as dd reports them. "Written" counts the bytes that reach the file, record
/// framing included (26 bytes per entry).
/// </summary>
public sealed class WalThroughputColumn : IColumn
{
    private const int RecordOverheadBytes = 26;

    private readonly Func<int, int, double, double> _rate;
    private readonly string _format;

    private WalThroughputColumn(string name, string legend, string format, Func<int, int, double, double> rate)
    {
        ColumnName = name;
        Legend = legend;
        _format = format;
        _rate = rate;
    }

    public static WalThroughputColumn EntriesPerSecond { get; } =
        new("Entries/s", "Entries made durable per second", "N0", (batch, _, batchesPerSecond) => batch * batchesPerSecond);

    public static WalThroughputColumn PayloadMegabytesPerSecond { get; } =
        new("Payload MB/s", "Entry data made durable per second (10^6 bytes)", "N1", (batch, bytes, batchesPerSecond) => batch * bytes * batchesPerSecond / 1e6);

    public static WalThroughputColumn WrittenMegabytesPerSecond { get; } =
        new("Written MB/s", "Bytes written to the log per second, framing included (10^6 bytes)", "N1",
            (batch, bytes, batchesPerSecond) => batch * (bytes + RecordOverheadBytes) * batchesPerSecond / 1e6);

    public static WalThroughputColumn FsyncsPerSecond { get; } =
        new("Fsyncs/s", "fsyncs per second: one per batch", "N0", (_, _, batchesPerSecond) => batchesPerSecond);

    public string Id => nameof(WalThroughputColumn) + "." + ColumnName;

    public string ColumnName { get; }

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend { get; }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var statistics = summary[benchmarkCase]?.ResultStatistics;
        if (statistics is null || statistics.Mean <= 0)
        {
            return "NA";
        }
        int batch = Convert.ToInt32(benchmarkCase.Parameters["BatchSize"], CultureInfo.InvariantCulture);
        int bytes = Convert.ToInt32(benchmarkCase.Parameters["EntryBytes"], CultureInfo.InvariantCulture);
        double batchesPerSecond = 1e9 / statistics.Mean;
        return _rate(batch, bytes, batchesPerSecond).ToString(_format, CultureInfo.InvariantCulture);
    }

    public override string ToString() => ColumnName;
}
