namespace Colony.Coordination.Sessions;

/// <summary>
/// Fits the session timeout a client asks for into the server's bounds, as ZooKeeper does when a session
/// connects. Bounds left at -1 take ZooKeeper's defaults: 2 × tickTime and 20 × tickTime.
/// </summary>
public sealed class SessionTimeoutNegotiation
{
    /// <summary>ZooKeeper's default tickTime.</summary>
    public const int DefaultTickTimeMs = 2000;

    public SessionTimeoutNegotiation(int tickTimeMs = DefaultTickTimeMs, int minSessionTimeoutMs = -1, int maxSessionTimeoutMs = -1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tickTimeMs);
        TickTimeMs = tickTimeMs;
        MinSessionTimeoutMs = OrDefault(minSessionTimeoutMs, 2L * tickTimeMs, nameof(minSessionTimeoutMs));
        MaxSessionTimeoutMs = OrDefault(maxSessionTimeoutMs, 20L * tickTimeMs, nameof(maxSessionTimeoutMs));
        if (MinSessionTimeoutMs > MaxSessionTimeoutMs)
        {
            throw new ArgumentException(
                $"the minimum session timeout ({MinSessionTimeoutMs} ms) is above the maximum ({MaxSessionTimeoutMs} ms)",
                nameof(minSessionTimeoutMs));
        }
    }

    public int TickTimeMs { get; }

    public int MinSessionTimeoutMs { get; }

    public int MaxSessionTimeoutMs { get; }

    /// <summary>The timeout the session gets: the request, raised to the minimum or lowered to the maximum.</summary>
    public int Negotiate(int requestedMs) => Math.Clamp(requestedMs, MinSessionTimeoutMs, MaxSessionTimeoutMs);

    private static int OrDefault(int configured, long fallback, string name)
    {
        if (configured == -1)
        {
            return fallback <= int.MaxValue
                ? (int)fallback
                : throw new ArgumentOutOfRangeException("tickTimeMs", "the tick time is too long for the default session timeouts");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(configured, name);
        return configured;
    }
}
