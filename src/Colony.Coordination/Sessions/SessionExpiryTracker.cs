using System.Runtime.InteropServices;
using Colony.Core;

namespace Colony.Coordination.Sessions;

/// <summary>
/// The leader's soft state for deciding which sessions have expired. Deadlines are rounded up to the next
/// multiple of the expiration interval, so sessions share buckets: a touch moves a session between two buckets
/// in O(1), and <see cref="Expired"/> only opens the buckets that are due. Time is passed in, in milliseconds of
/// a monotonic clock; nothing here reads one.
/// </summary>
/// <remarks>
/// A session is due at its bucket's time, which falls after now + timeout and at most one interval later.
/// Once reported, a session leaves the tracker: it is reported again only if touched again. Whether a touch
/// may revive a session the leader is already closing is the session table's decision (ZooKeeper refuses it).
/// </remarks>
public sealed class SessionExpiryTracker
{
    private const int BucketPoolLimit = 32;

    private readonly Dictionary<long, long> _deadlineBySession = [];
    private readonly Dictionary<long, HashSet<long>> _bucketByDeadline = [];
    // Bucket times in due order; a bucket that emptied stays queued until due, which costs one lookup.
    private readonly PriorityQueue<long, long> _dueBuckets = new();
    private readonly Stack<HashSet<long>> _freeBuckets = new();
    private readonly List<long> _expired = [];

    public SessionExpiryTracker(int expirationIntervalMs)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(expirationIntervalMs);
        ExpirationIntervalMs = expirationIntervalMs;
    }

    /// <summary>The bucket width; ZooKeeper uses tickTime.</summary>
    public int ExpirationIntervalMs { get; }

    /// <summary>Sessions being tracked.</summary>
    public int Count => _deadlineBySession.Count;

    /// <summary>The earliest time <see cref="Expired"/> may report something, or <see cref="long.MaxValue"/> if nothing is tracked.</summary>
    public long NextCheckMs => _dueBuckets.TryPeek(out long due, out _) ? due : long.MaxValue;

    /// <summary>When <paramref name="sessionId"/> is due to expire, if it is tracked.</summary>
    public bool TryGetDeadline(long sessionId, out long deadlineMs) => _deadlineBySession.TryGetValue(sessionId, out deadlineMs);

    /// <summary>
    /// The buckets in due order, each with its sessions in ascending order; a bucket that emptied and is not yet due
    /// is listed too, with none (as ZooKeeper's <c>dump</c> shows it).
    /// </summary>
    public IEnumerable<(long DeadlineMs, long[] Sessions)> Buckets() =>
        _bucketByDeadline.OrderBy(b => b.Key).Select(b => (b.Key, b.Value.Order().ToArray())).ToList();

    /// <summary>Starts tracking a session, or gives it a fresh timeout from <paramref name="nowMs"/>.</summary>
    public void Touch(long sessionId, int timeoutMs, long nowMs)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(timeoutMs);
        ArgumentOutOfRangeException.ThrowIfNegative(nowMs);
        long deadline = RoundUpToInterval(nowMs + timeoutMs);
        ref long current = ref CollectionsMarshal.GetValueRefOrAddDefault(_deadlineBySession, sessionId, out bool tracked);
        if (tracked)
        {
            if (current == deadline)
            {
                return;
            }

            // A tracked session's bucket is not yet due, so it still exists.
            _bucketByDeadline[current].Remove(sessionId);
        }

        current = deadline;
        BucketAt(deadline).Add(sessionId);
    }

    /// <summary>Stops tracking a session (closed or expired through the log); false if it was not tracked.</summary>
    public bool Remove(long sessionId)
    {
        if (!_deadlineBySession.Remove(sessionId, out long deadline))
        {
            return false;
        }

        _bucketByDeadline[deadline].Remove(sessionId);
        return true;
    }

    /// <summary>
    /// The sessions whose deadline is at or before <paramref name="nowMs"/>, ascending, each reported once; they
    /// are no longer tracked. The span is a buffer the tracker reuses: read it before the next call.
    /// </summary>
    public ReadOnlySpan<long> Expired(long nowMs)
    {
        _expired.Clear();
        while (_dueBuckets.TryPeek(out long due, out _) && due <= nowMs)
        {
            _dueBuckets.Dequeue();
            var bucket = _bucketByDeadline[due];
            _bucketByDeadline.Remove(due);
            foreach (long sessionId in bucket)
            {
                _deadlineBySession.Remove(sessionId);
                _expired.Add(sessionId);
            }

            ReturnBucket(bucket);
        }

        var expired = CollectionsMarshal.AsSpan(_expired);
        expired.Sort();
        return expired;
    }

    /// <summary>
    /// Forgets every deadline and tracks exactly <paramref name="sessions"/>, each with a full timeout from
    /// <paramref name="nowMs"/>: a newly elected leader cannot know when its predecessor last heard from a
    /// client, so, as ZooKeeper does, it gives every session a fresh start.
    /// </summary>
    public void ResetAll(IEnumerable<(long SessionId, int TimeoutMs)> sessions, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        foreach (var (_, bucket) in _bucketByDeadline)
        {
            ReturnBucket(bucket);
        }

        _bucketByDeadline.Clear();
        _dueBuckets.Clear();
        _deadlineBySession.Clear();
        foreach (var (sessionId, timeoutMs) in sessions)
        {
            Touch(sessionId, timeoutMs, nowMs);
        }
    }

    /// <summary>Checks that the session index and the buckets agree; for tests.</summary>
    internal void CheckConsistency()
    {
        int bucketed = 0;
        foreach (var (deadline, bucket) in _bucketByDeadline)
        {
            Invariant.Check(deadline % ExpirationIntervalMs == 0, "bucket off the interval grid");
            foreach (long sessionId in bucket)
            {
                Invariant.Check(_deadlineBySession.TryGetValue(sessionId, out long d) && d == deadline, "session in the wrong bucket");
                bucketed++;
            }
        }

        Invariant.Check(bucketed == _deadlineBySession.Count, "session missing from its bucket");
        Invariant.Check(_dueBuckets.Count == _bucketByDeadline.Count, "bucket queue out of step");
    }

    private long RoundUpToInterval(long timeMs) => (timeMs / ExpirationIntervalMs + 1) * ExpirationIntervalMs;

    private HashSet<long> BucketAt(long deadline)
    {
        ref var bucket = ref CollectionsMarshal.GetValueRefOrAddDefault(_bucketByDeadline, deadline, out bool exists);
        if (!exists)
        {
            bucket = _freeBuckets.TryPop(out var free) ? free : [];
            _dueBuckets.Enqueue(deadline, deadline);
        }

        return bucket!;
    }

    private void ReturnBucket(HashSet<long> bucket)
    {
        if (_freeBuckets.Count < BucketPoolLimit)
        {
            bucket.Clear();
            _freeBuckets.Push(bucket);
        }
    }
}
