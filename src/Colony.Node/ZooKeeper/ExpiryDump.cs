using System.Globalization;
using System.Text;

namespace Colony.Node.ZooKeeper;

/// <summary>
/// ZooKeeper's text for an expiry queue in <c>dump</c> (the leader's sessions, every server's connections):
/// "NAME Sets (buckets)/(entries):", then each bucket's count and time, as Java prints a date, and its entries.
/// </summary>
internal static class ExpiryDump
{
    /// <summary>One bucket: when its entries expire (wall-clock milliseconds), and each entry as ZooKeeper names it.</summary>
    internal readonly record struct Entries(long DueWallMs, IReadOnlyList<string> Names);

    public static Entries Bucket(long dueWallMs, IEnumerable<string> names) => new(dueWallMs, [.. names]);

    public static void Append(StringBuilder text, string name, IReadOnlyList<Entries> buckets)
    {
        text.Append(CultureInfo.InvariantCulture, $"{name} Sets ({buckets.Count})/({buckets.Sum(b => b.Names.Count)}):\n");
        foreach (var bucket in buckets)
        {
            text.Append(CultureInfo.InvariantCulture, $"{bucket.Names.Count} expire at {JavaDate(bucket.DueWallMs)}:\n");
            foreach (string entry in bucket.Names)
            {
                text.Append('\t').Append(entry).Append('\n');
            }
        }
    }

    /// <summary>How java.util.Date prints itself, in UTC: "Sun Nov 29 09:06:51 UTC 2026".</summary>
    public static string JavaDate(long wallMs) =>
        DateTimeOffset.FromUnixTimeMilliseconds(wallMs).UtcDateTime.ToString("ddd MMM dd HH:mm:ss 'UTC' yyyy", CultureInfo.InvariantCulture);
}
