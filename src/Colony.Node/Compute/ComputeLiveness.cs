using Colony.Compute.Jobs;
using Colony.Compute.Scheduling;
using Colony.Core;
using Colony.Node.FileSystem;

namespace Colony.Node.Compute;

/// <summary>
/// The compute tracker's soft timing: when each worker last beat, since when this node has led, and how long
/// each running attempt has run and last moved. All of it is on the monotonic clock (<see cref="ManagerClock"/>),
/// so a step of the wall clock neither loses every worker and fails every attempt as hung at once (a step forward)
/// nor keeps a dead worker's attempts waiting for the step's size (a step back). The dates the tracker stamps into
/// Jobs commands (an attempt's start and finish, shown to users and replicated) stay on the wall clock and are
/// never compared with these times. Rebuilt from beats after a failover. The tracker calls it under its gate;
/// <see cref="ProgressOf"/> may be called from any thread.
/// </summary>
internal sealed class ComputeLiveness(TimeProvider time, long workerTimeoutMs)
{
    private readonly Dictionary<NodeId, long> _lastBeat = [];
    private readonly Dictionary<AttemptId, AttemptProgress> _attempts = [];

    /// <summary>Milliseconds on the monotonic clock: comparable only with each other.</summary>
    public long Now => time.MonotonicMs();

    /// <summary>When this node began to lead, on <see cref="Now"/>'s clock; -1 when it does not lead.</summary>
    public long LeaderSince { get; private set; } = -1;

    public bool Leading => LeaderSince >= 0;

    /// <summary>Whether this leader has listened for longer than the worker timeout: a worker it never heard from is gone.</summary>
    public bool ListenedLongEnough => Leading && Now - LeaderSince > workerTimeoutMs;

    public void StartLeading()
    {
        if (LeaderSince < 0)
        {
            LeaderSince = Now;
        }
    }

    /// <summary>Forgets everything, on losing the lead: the next leader rebuilds it from beats.</summary>
    public void Forget()
    {
        LeaderSince = -1;
        _lastBeat.Clear();
        lock (_attempts)
        {
            _attempts.Clear();
        }
    }

    public void Beat(NodeId worker) => _lastBeat[worker] = Now;

    /// <summary>When <paramref name="worker"/> last beat, or -1 if it has not since this node began to lead.</summary>
    public long LastBeat(NodeId worker) => _lastBeat.TryGetValue(worker, out long at) ? at : -1;

    /// <summary>Workers silent for longer than the worker timeout, by node id.</summary>
    public IReadOnlyList<NodeId> Silent()
    {
        long now = Now;
        return [.. _lastBeat.Where(w => now - w.Value > workerTimeoutMs).Select(w => w.Key).Order()];
    }

    public void Lost(NodeId worker) => _lastBeat.Remove(worker);

    /// <summary>The progress of a running attempt as last reported, 0 when none was.</summary>
    public double ProgressOf(AttemptId attempt)
    {
        lock (_attempts)
        {
            return _attempts.TryGetValue(attempt, out var p) ? p.Progress : 0;
        }
    }

    /// <summary>This leader launched <paramref name="attempt"/>: it is timed from now.</summary>
    public void Launched(AttemptId attempt)
    {
        long now = Now;
        lock (_attempts)
        {
            _attempts[attempt] = new AttemptProgress(attempt, 0, now, now);
        }
    }

    /// <summary>
    /// A worker reported <paramref name="attempt"/> at <paramref name="progress"/>. Only forward movement counts: an
    /// attempt stuck at one fraction is hung, however often it says so. One an earlier leader launched is timed from
    /// this leader's start.
    /// </summary>
    public void Progressed(AttemptId attempt, double progress)
    {
        long now = Now;
        lock (_attempts)
        {
            if (!_attempts.TryGetValue(attempt, out var last))
            {
                _attempts[attempt] = new AttemptProgress(attempt, progress, now, Math.Max(0, LeaderSince));
            }
            else if (progress > last.Progress)
            {
                _attempts[attempt] = last with { Progress = progress, LastProgressAt = now };
            }
        }
    }

    public void Ended(AttemptId attempt)
    {
        lock (_attempts)
        {
            _attempts.Remove(attempt);
        }
    }

    /// <summary>
    /// The timing of the attempts the log says run, for <see cref="TaskScheduler"/> at <see cref="Now"/>: one not heard
    /// of yet (an earlier leader launched it) is timed from this leader's start, as if it had just launched it, so a
    /// failover never makes running attempts look hung. Those <paramref name="waiting"/> (a reduce before its job's
    /// last map is done has nothing to show) count as moving now. Attempts no longer running are forgotten.
    /// </summary>
    public IReadOnlyDictionary<AttemptId, AttemptProgress> Time(IReadOnlyCollection<AttemptId> running, IReadOnlySet<AttemptId> waiting)
    {
        long now = Now;
        long since = Math.Max(0, LeaderSince);
        lock (_attempts)
        {
            var timed = new Dictionary<AttemptId, AttemptProgress>(running.Count);
            foreach (var attempt in running)
            {
                var timing = _attempts.TryGetValue(attempt, out var t) ? t : new AttemptProgress(attempt, 0, since, since);
                if (waiting.Contains(attempt))
                {
                    timing = timing with { LastProgressAt = now };
                }
                timed[attempt] = timing;
            }
            _attempts.Clear();
            foreach (var (attempt, timing) in timed)
            {
                _attempts[attempt] = timing;
            }
            return timed;
        }
    }

    /// <summary>The timing of the attempts known so far, for <see cref="TaskScheduler.Assign"/> between two rounds of <see cref="Time"/>.</summary>
    public IReadOnlyDictionary<AttemptId, AttemptProgress> Snapshot()
    {
        lock (_attempts)
        {
            return new Dictionary<AttemptId, AttemptProgress>(_attempts);
        }
    }
}
