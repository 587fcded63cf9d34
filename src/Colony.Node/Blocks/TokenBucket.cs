namespace Colony.Node.Blocks;

/// <summary>
/// A byte-rate limiter over <see cref="TimeProvider"/>: tokens refill at <see cref="BytesPerSecond"/> up to a burst;
/// taking more than are there waits until the debt is repaid. Takers queue in arrival order.
/// </summary>
public sealed class TokenBucket
{
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _turn = new(1, 1);
    private readonly Lock _lock = new();
    private double _tokens;
    private long _lastRefill;

    public TokenBucket(long bytesPerSecond, TimeProvider time, long? burstBytes = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bytesPerSecond, 1);
        ArgumentNullException.ThrowIfNull(time);
        BytesPerSecond = bytesPerSecond;
        BurstBytes = burstBytes ?? Math.Max(1, bytesPerSecond / 10);
        ArgumentOutOfRangeException.ThrowIfLessThan(BurstBytes, 1);
        _time = time;
        _tokens = BurstBytes;
        _lastRefill = time.GetTimestamp();
    }

    public long BytesPerSecond { get; }

    /// <summary>Bytes that may pass at once after an idle spell. Default a tenth of a second's worth.</summary>
    public long BurstBytes { get; }

    /// <summary>Accounts for <paramref name="bytes"/> and returns once the rate allows them: true if that meant waiting.</summary>
    public async ValueTask<bool> TakeAsync(long bytes, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            TimeSpan wait = Take(bytes);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
                return true;
            }
            return false;
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>Takes the tokens (going into debt if need be) and returns how long until the debt is repaid.</summary>
    private TimeSpan Take(long bytes)
    {
        lock (_lock)
        {
            long now = _time.GetTimestamp();
            _tokens = Math.Min(BurstBytes, _tokens + (_time.GetElapsedTime(_lastRefill, now).TotalSeconds * BytesPerSecond));
            _lastRefill = now;
            _tokens -= bytes;
            return _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / BytesPerSecond);
        }
    }
}
