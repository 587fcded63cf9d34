using System.Globalization;
using System.Text;

namespace Colony.Coordination.Tree;

/// <summary>
/// A quota's numbers, in ZooKeeper's StatsTrack text: <c>count=5,bytes=100</c>, with
/// <c>countHardLimit</c> and <c>byteHardLimit</c> for hard limits (3.7+). −1 means "no limit".
/// </summary>
public readonly record struct QuotaNumbers(long Count, long Bytes, long CountHardLimit = -1, long ByteHardLimit = -1)
{
    public static readonly QuotaNumbers None = new(-1, -1);

    /// <summary>Parses StatsTrack text; unknown keys are ignored, as ZooKeeper does, and a bad number is none.</summary>
    public static QuotaNumbers Parse(ReadOnlySpan<byte> data)
    {
        var numbers = None;
        foreach (string pair in Encoding.UTF8.GetString(data).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || !long.TryParse(pair.AsSpan(equals + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
            {
                continue;
            }
            numbers = pair[..equals] switch
            {
                "count" => numbers with { Count = value },
                "bytes" => numbers with { Bytes = value },
                "countHardLimit" => numbers with { CountHardLimit = value },
                "byteHardLimit" => numbers with { ByteHardLimit = value },
                _ => numbers,
            };
        }
        return numbers;
    }

    /// <summary>The usage text ZooKeeper keeps in a <c>zookeeper_stats</c> node.</summary>
    public static byte[] Usage(long count, long bytes) =>
        Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"count={count},bytes={bytes}"));
}

/// <summary>What a quota'd subtree holds now, and what it may hold.</summary>
internal sealed class QuotaEntry(QuotaNumbers limits)
{
    public QuotaNumbers Limits { get; set; } = limits;

    /// <summary>Nodes in the subtree, its root included (as ZooKeeper counts).</summary>
    public long Count { get; set; }

    /// <summary>Data bytes in the subtree.</summary>
    public long Bytes { get; set; }
}

/// <summary>How a change measured against its subtree's quota.</summary>
internal enum QuotaVerdict
{
    Within,
    OverSoftLimit,
    OverHardLimit,
}

/// <summary>ZooKeeper's quota layout under <c>/zookeeper/quota</c>.</summary>
internal static class QuotaPaths
{
    public const string LimitsNode = "zookeeper_limits";
    public const string StatsNode = "zookeeper_stats";

    /// <summary>For <c>/zookeeper/quota/a/b/zookeeper_limits</c> (or <c>_stats</c>): <c>/a/b</c>.</summary>
    public static bool TryQuotaTarget(string path, out string target, out bool isLimits)
    {
        target = "";
        isLimits = false;
        if (!path.StartsWith(DataTree.QuotaPath + "/", StringComparison.Ordinal))
        {
            return false;
        }
        string name = PathValidator.NameOf(path);
        if (name is not (LimitsNode or StatsNode))
        {
            return false;
        }
        string parent = PathValidator.ParentOf(path);
        if (parent.Length <= DataTree.QuotaPath.Length)
        {
            return false;
        }
        target = parent[DataTree.QuotaPath.Length..];
        isLimits = name == LimitsNode;
        return true;
    }

    public static string StatsPathOf(string target) => DataTree.QuotaPath + target + "/" + StatsNode;

    public static string LimitsPathOf(string target) => DataTree.QuotaPath + target + "/" + LimitsNode;
}
