using System.Runtime.InteropServices;

namespace Colony.Coordination.Sessions;

/// <summary>
/// Collects the sessions a follower heard from, so that it can tell the leader once per interval, in one
/// message, which sessions are alive (ZooKeeper's learners piggyback the same list on their pings).
/// </summary>
public sealed class TouchBatcher
{
    private readonly HashSet<long> _seen = [];
    private List<long> _touched = [];
    private List<long> _drained = [];

    /// <summary>Distinct sessions touched since the last drain.</summary>
    public int Count => _touched.Count;

    public void Touch(long sessionId)
    {
        if (_seen.Add(sessionId))
        {
            _touched.Add(sessionId);
        }
    }

    /// <summary>
    /// The distinct sessions touched since the last drain, ascending, and starts a new batch. The span is a
    /// buffer the batcher reuses: it stays valid through later touches, until the next drain.
    /// </summary>
    public ReadOnlySpan<long> Drain()
    {
        (_touched, _drained) = (_drained, _touched);
        _touched.Clear();
        _seen.Clear();
        var drained = CollectionsMarshal.AsSpan(_drained);
        drained.Sort();
        return drained;
    }
}
