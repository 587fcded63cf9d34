using System.Diagnostics;

namespace Colony.FaultTests.Workloads;

/// <summary>One write offered to the fenced resource: by which hold, under which token, and whether it was taken.</summary>
public readonly record struct FencedWrite(int Hold, long Token, bool Accepted, long Time);

/// <summary>
/// A storage service that lock holders write to, fenced as a real one should be: it remembers the
/// greatest fencing token it has seen and turns away any write with a smaller one, so a holder that
/// lost its lock without knowing it (its session expired during a pause or a partition) cannot
/// overwrite its successor's work. It keeps a log of every write offered, in the order it decided.
/// </summary>
public sealed class FencedResource
{
    private readonly List<FencedWrite> _log = [];
    private readonly Lock _gate = new();
    private long _highest = long.MinValue;

    public bool Write(int hold, long token)
    {
        lock (_gate)
        {
            bool accepted = token >= _highest;
            if (accepted)
            {
                _highest = token;
            }
            _log.Add(new FencedWrite(hold, token, accepted, Stopwatch.GetTimestamp()));
            return accepted;
        }
    }

    public IReadOnlyList<FencedWrite> Log()
    {
        lock (_gate)
        {
            return [.. _log];
        }
    }
}
