using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Colony.FaultTests.Campaigns;

/// <summary>One operation on the timeline: when it was called and, unless its outcome is unknown, answered (Stopwatch ticks).</summary>
public readonly record struct TimedOperation(long CallTime, long? ReturnTime);

/// <summary>A fault on the timeline, in seconds from the start of the history.</summary>
public readonly record struct TimedFault(double Start, double End, string Label);

/// <summary>
/// A run's latency and availability over time as one self-contained SVG: per second, the median
/// and the slowest answer (log scale), the answers per second, operations whose outcome stayed
/// unknown, and the faults in force, so a person sees what each fault did to the clients.
/// </summary>
public static class Timeline
{
    private const int Width = 1000;
    private const int Left = 60;
    private const int Plot = Width - Left - 20;
    private const int LatencyTop = 40;
    private const int LatencyHeight = 220;
    private const int ThroughputTop = 300;
    private const int ThroughputHeight = 120;
    private const int Height = ThroughputTop + ThroughputHeight + 40;

    public static string Svg(string title, IReadOnlyList<TimedOperation> operations, IReadOnlyList<TimedFault> faults)
    {
        double Seconds(long ticks) => ticks / (double)Stopwatch.Frequency;
        double length = Math.Max(1, operations.Select(o => Seconds(o.ReturnTime ?? o.CallTime)).DefaultIfEmpty(1).Max());
        int buckets = (int)Math.Ceiling(length);
        var latencies = new List<double>[buckets];
        for (int i = 0; i < buckets; i++)
        {
            latencies[i] = [];
        }
        var unknown = new List<double>();
        foreach (var op in operations)
        {
            if (op.ReturnTime is { } returned)
            {
                latencies[Math.Min(buckets - 1, (int)Seconds(returned))].Add((returned - op.CallTime) * 1000.0 / Stopwatch.Frequency);
            }
            else
            {
                unknown.Add(Seconds(op.CallTime));
            }
        }

        var svg = new StringBuilder();
        string F(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);
        double X(double seconds) => Left + seconds / length * Plot;
        // Latency from 0.1 ms to 10 s on a log scale.
        double Y(double ms) => LatencyTop + LatencyHeight * (1 - (Math.Log10(Math.Clamp(ms, 0.1, 10_000)) + 1) / 5);
        int most = Math.Max(1, latencies.Max(l => l.Count));
        double Bar(int count) => ThroughputHeight * count / (double)most;

        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" font-family=\"sans-serif\" font-size=\"11\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left}\" y=\"20\" font-size=\"14\">{Escape(title)}</text>\n");
        foreach (var fault in faults)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{F(X(fault.Start))}\" y=\"{LatencyTop}\" width=\"{F(Math.Max(1, X(fault.End) - X(fault.Start)))}\" height=\"{ThroughputTop + ThroughputHeight - LatencyTop}\" fill=\"#f4b400\" fill-opacity=\"0.18\"><title>{Escape(fault.Label)}</title></rect>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(X(fault.Start) + 2)}\" y=\"{LatencyTop + 10}\" font-size=\"9\" fill=\"#8a6d00\">{Escape(fault.Label.Split(' ')[0])}</text>\n");
        }
        foreach (double ms in new[] { 1.0, 10, 100, 1000, 10_000 })
        {
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" x2=\"{Left + Plot}\" y1=\"{F(Y(ms))}\" y2=\"{F(Y(ms))}\" stroke=\"#ddd\"/><text x=\"{Left - 5}\" y=\"{F(Y(ms) + 4)}\" text-anchor=\"end\">{(ms >= 1000 ? $"{ms / 1000:0} s" : $"{ms:0} ms")}</text>\n");
        }
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left}\" y=\"{LatencyTop - 5}\">latency per second: median (blue), slowest (red); unknown outcomes as red ticks</text>\n");
        svg.Append(Polyline(latencies, l => Percentile(l, 0.5), X, Y, "#1a73e8"));
        svg.Append(Polyline(latencies, l => l.Max(), X, Y, "#d93025"));
        foreach (double at in unknown)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{F(X(at))}\" x2=\"{F(X(at))}\" y1=\"{LatencyTop + LatencyHeight}\" y2=\"{LatencyTop + LatencyHeight - 8}\" stroke=\"#d93025\"/>\n");
        }
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left}\" y=\"{ThroughputTop - 5}\">answers per second (max {most}); a gap is time no client got an answer</text>\n");
        for (int i = 0; i < buckets; i++)
        {
            double h = Bar(latencies[i].Count);
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{F(X(i))}\" y=\"{F(ThroughputTop + ThroughputHeight - h)}\" width=\"{F(Math.Max(0.5, X(i + 1) - X(i) - 0.5))}\" height=\"{F(h)}\" fill=\"#34a853\"/>\n");
        }
        for (int s = 0; s <= (int)length; s += Math.Max(1, (int)length / 10))
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(X(s))}\" y=\"{ThroughputTop + ThroughputHeight + 15}\" text-anchor=\"middle\">{s} s</text>\n");
        }
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static string Polyline(List<double>[] buckets, Func<List<double>, double> pick, Func<double, double> x, Func<double, double> y, string colour)
    {
        var points = Enumerable.Range(0, buckets.Length).Where(i => buckets[i].Count > 0)
            .Select(i => string.Create(CultureInfo.InvariantCulture, $"{x(i + 0.5):0.#},{y(pick(buckets[i])):0.#}"));
        return $"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\" points=\"{string.Join(' ', points)}\"/>\n";
    }

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    private static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}
