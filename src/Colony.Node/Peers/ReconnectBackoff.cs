using Colony.Core;

namespace Colony.Node.Peers;

/// <summary>Exponential backoff with jitter between attempts to reach a peer.</summary>
internal static class ReconnectBackoff
{
    /// <summary>
    /// The pause after the <paramref name="failures"/>-th consecutive failure (from 1): the initial delay
    /// doubled per earlier failure, capped, then shortened by a random part of up to <paramref name="jitter"/> of it.
    /// Whole milliseconds (timers count in them), at least one.
    /// </summary>
    public static TimeSpan Delay(int failures, TimeSpan initial, TimeSpan max, double jitter, IRandomSource random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(failures, 1);
        int doublings = Math.Min(failures - 1, 30);
        double milliseconds = Math.Min(max.TotalMilliseconds, initial.TotalMilliseconds * Math.Pow(2, doublings));
        milliseconds *= 1 - jitter * random.NextDouble();
        return TimeSpan.FromMilliseconds(Math.Max(1, Math.Floor(milliseconds)));
    }
}
