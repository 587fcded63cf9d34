using Colony.Compute.Jobs;
using Colony.Core;

namespace Colony.Compute.Scheduling;

/// <summary>
/// The leader's pure task placement: from the replicated jobs, the live workers' slots and the attempts'
/// progress, which attempts to start now. Deterministic: equal inputs give equal plans (ties by id).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Free slots: a worker's map (reduce) slots minus the map (reduce) attempts the state says run there.</item>
/// <item>Fair share: each round serves the Running job with the fewest running attempts per unit of weight
/// (ties: lowest id), weight = 1 + priority for priority ≥ 0 and 1 / (1 − priority) below, so a priority 1
/// job gets twice the slots of a priority 0 one while both have work.</item>
/// <item>Within a job, maps before reduces. A map goes to the free worker that is, in order: one where the
/// task has not failed before; node-local, then rack-local, then remote; the one with most free slots;
/// lowest node id. Never a node excluded for the job.</item>
/// <item>Reduces start once <c>MapsSucceeded / Maps ≥ ReduceSlowStart</c> (at once for a job without maps).</item>
/// <item>Speculation: for a job with no pending task left, a running attempt timed for longer than
/// <see cref="SchedulerOptions.SpeculativeMinRunMs"/> (<see cref="AttemptProgress.RunningSince"/>) whose progress rate is below
/// <see cref="SchedulerOptions.SpeculativeSlowFactor"/> of the mean rate of its job's other attempts of the
/// same kind gets one backup on another node, slowest first, while slots are free.</item>
/// </list>
/// </remarks>
public static class TaskScheduler
{
    /// <summary>The attempts to start now.</summary>
    /// <param name="progress">The caller's timing of the running attempts; one not in it is never taken for a straggler.</param>
    /// <param name="now">The time on the clock of <paramref name="progress"/>.</param>
    public static IReadOnlyList<Assignment> Assign(
        JobsState state, IReadOnlyList<WorkerSlots> liveWorkers, IReadOnlyDictionary<AttemptId, AttemptProgress> progress,
        long now, SchedulerOptions options)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(liveWorkers);
        ArgumentNullException.ThrowIfNull(progress);
        ArgumentNullException.ThrowIfNull(options);
        var workers = liveWorkers.GroupBy(w => w.Node).Select(g => new Worker(g.First())).OrderBy(w => w.Node).ToList();
        if (workers.Count == 0)
        {
            return [];
        }
        var byNode = workers.ToDictionary(w => w.Node);
        var plans = new List<JobPlan>();
        foreach (var job in state.ActiveJobs.Where(j => j.State == JobState.Running))
        {
            var plan = new JobPlan(job, options, byNode);
            foreach (var attempt in job.Tasks.SelectMany(t => t.RunningAttempts))
            {
                plan.Running++;
                if (byNode.TryGetValue(attempt.Node, out var worker))
                {
                    worker.Take(attempt.Id.Task.Kind);
                }
            }
            plans.Add(plan);
        }

        var assignments = new List<Assignment>();
        var open = plans.Where(p => p.HasPending).ToList();
        while (open.Count > 0)
        {
            var next = open.OrderBy(p => p.Running / p.Weight).ThenBy(p => p.Job.Id).First();
            var assignment = next.PickMap(workers) ?? next.PickReduce(workers);
            if (assignment is null)
            {
                // Slots only fill up within a round: a job that cannot place a task now cannot later.
                open.Remove(next);
                continue;
            }
            assignments.Add(assignment);
            next.Running++;
            byNode[assignment.Node].Take(assignment.Task.Kind);
            if (!next.HasPending)
            {
                open.Remove(next);
            }
        }

        if (options.Speculation)
        {
            foreach (var plan in plans.Where(p => p.NothingLeftToStart))
            {
                assignments.AddRange(plan.Speculate(workers, byNode, progress, now, options));
            }
        }
        return assignments;
    }

    /// <summary>
    /// Running attempts whose progress has not moved for at least <see cref="SchedulerOptions.ProgressTimeoutMs"/>
    /// (<see cref="AttemptProgress.LastProgressAt"/>, which starts at the attempt's launch), in attempt id order:
    /// the tracker kills them. A running attempt missing from <paramref name="progress"/> is not timed: only the
    /// caller's clock is compared with <paramref name="now"/>, never the replicated start stamps.
    /// </summary>
    public static IReadOnlyList<AttemptId> FindHung(
        JobsState state, IReadOnlyDictionary<AttemptId, AttemptProgress> progress, long now, SchedulerOptions options)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(progress);
        ArgumentNullException.ThrowIfNull(options);
        return
        [
            .. state.RunningAttempts()
                .Where(a => progress.TryGetValue(a.Id, out var p) && now - p.LastProgressAt >= options.ProgressTimeoutMs)
                .Select(a => a.Id),
        ];
    }

    /// <summary>
    /// What a worker's death means for the jobs: its running attempts are killed (not failed: not their
    /// fault), and its succeeded maps whose output a reduce still needs are lost (the output lived on it).
    /// </summary>
    /// <param name="now">The commands' stamp: a wall-clock date (unix ms), as every Jobs command carries.</param>
    public static IReadOnlyList<JobsCommand> OnWorkerLost(JobsState state, NodeId node, long now)
    {
        ArgumentNullException.ThrowIfNull(state);
        string reason = $"worker {node} lost";
        var commands = new List<JobsCommand>();
        commands.AddRange(state.RunningAttemptsOn(node).Select(a => new JobsCommand.AttemptKilled(a.Id, reason, now)));
        foreach (var job in state.ActiveJobs.Where(JobsState.NeedsMapOutputs))
        {
            commands.AddRange(job.Maps
                .Where(t => t.Succeeded is { } s && s.Node == node)
                .Select(t => new JobsCommand.MapOutputLost(t.Succeeded!.Id, reason, now)));
        }
        return commands;
    }

    internal static double WeightOf(int priority) => priority >= 0 ? 1.0 + priority : 1.0 / (1.0 - (double)priority);

    private static bool FailedOn(TaskView task, NodeId node) =>
        task.Attempts.Any(a => a.Node == node && a.State == AttemptState.Failed);

    private sealed class Worker(WorkerSlots slots)
    {
        public NodeId Node => slots.Node;

        public string? Rack => slots.Rack;

        public int FreeMaps { get; private set; } = Math.Max(0, slots.MapSlots);

        public int FreeReduces { get; private set; } = Math.Max(0, slots.ReduceSlots);

        public int Free(TaskKind kind) => kind == TaskKind.Map ? FreeMaps : FreeReduces;

        public void Take(TaskKind kind)
        {
            if (kind == TaskKind.Map)
            {
                FreeMaps = Math.Max(0, FreeMaps - 1);
            }
            else
            {
                FreeReduces = Math.Max(0, FreeReduces - 1);
            }
        }
    }

    /// <summary>A task that could start on a node now.</summary>
    private readonly record struct Candidate(TaskView Task, NodeId Node, Locality Locality, bool FailedHere, int FreeSlots)
    {
        /// <summary>Lower is better: not failed there, then locality, then most free slots, then task index and node id.</summary>
        public (int, byte, int, int, ulong) Key => (FailedHere ? 1 : 0, (byte)Locality, -FreeSlots, Task.Id.Index, Node.Value);
    }

    /// <summary>Pending tasks in index order; assigned ones are skipped lazily.</summary>
    private sealed class TaskQueue
    {
        private readonly List<TaskView> _tasks = [];
        private int _head;

        public void Add(TaskView task) => _tasks.Add(task);

        public IEnumerable<TaskView> Live(HashSet<TaskId> assigned)
        {
            while (_head < _tasks.Count && assigned.Contains(_tasks[_head].Id))
            {
                _head++;
            }
            for (int i = _head; i < _tasks.Count; i++)
            {
                if (!assigned.Contains(_tasks[i].Id))
                {
                    yield return _tasks[i];
                }
            }
        }
    }

    /// <summary>One Running job's pending work and share, for one round.</summary>
    private sealed class JobPlan
    {
        private readonly TaskQueue _maps = new();
        private readonly TaskQueue _reduces = new();
        private readonly Dictionary<NodeId, TaskQueue> _mapsByNode = [];
        private readonly Dictionary<string, TaskQueue> _mapsByRack = new(StringComparer.Ordinal);
        private readonly HashSet<TaskId> _assigned = [];
        private readonly bool _reducesReady;
        private int _pendingMaps;
        private int _pendingReduces;
        private readonly int _reducesWaiting;

        public JobPlan(JobView job, SchedulerOptions options, Dictionary<NodeId, Worker> workers)
        {
            Job = job;
            Weight = WeightOf(job.Spec.Priority);
            foreach (var task in job.Maps.Where(t => t.State == TaskState.Pending))
            {
                _maps.Add(task);
                _pendingMaps++;
                var racks = new HashSet<string>(StringComparer.Ordinal);
                foreach (var host in task.Split!.Hosts.Distinct())
                {
                    Queue(_mapsByNode, host).Add(task);
                    if (workers.TryGetValue(host, out var w) && w.Rack is { } rack && racks.Add(rack))
                    {
                        Queue(_mapsByRack, rack).Add(task);
                    }
                }
            }
            _reducesReady = job.Maps.Count == 0 || job.MapsSucceeded >= options.ReduceSlowStart * job.Maps.Count;
            var pendingReduces = job.Reduces.Where(t => t.State == TaskState.Pending).ToList();
            if (_reducesReady)
            {
                foreach (var task in pendingReduces)
                {
                    _reduces.Add(task);
                }
                _pendingReduces = pendingReduces.Count;
            }
            else
            {
                _reducesWaiting = pendingReduces.Count;
            }
        }

        public JobView Job { get; }

        public double Weight { get; }

        public int Running { get; set; }

        public bool HasPending => _pendingMaps > 0 || _pendingReduces > 0;

        /// <summary>Every task is running or done (counting this round's starts): backups may be considered.</summary>
        public bool NothingLeftToStart => !HasPending && _reducesWaiting == 0;

        public Assignment? PickMap(List<Worker> workers)
        {
            if (_pendingMaps == 0)
            {
                return null;
            }
            var best = workers
                .Where(w => w.FreeMaps > 0 && !Job.ExcludedNodes.Contains(w.Node))
                .Select(w => BestMapFor(w) is { } c ? new Candidate(c.Task, w.Node, c.Locality, c.Failed, w.FreeMaps) : (Candidate?)null)
                .Where(c => c is not null)
                .MinBy(c => c!.Value.Key);
            if (best is null)
            {
                return null;
            }
            _assigned.Add(best.Value.Task.Id);
            _pendingMaps--;
            return new Assignment(best.Value.Task.Id, best.Value.Node, best.Value.Locality, Speculative: false);
        }

        public Assignment? PickReduce(List<Worker> workers)
        {
            if (_pendingReduces == 0)
            {
                return null;
            }
            var best = workers
                .Where(w => w.FreeReduces > 0 && !Job.ExcludedNodes.Contains(w.Node))
                .Select(w => BestReduceFor(w) is { } c ? new Candidate(c.Task, w.Node, Locality.Remote, c.Failed, w.FreeReduces) : (Candidate?)null)
                .Where(c => c is not null)
                .MinBy(c => c!.Value.Key);
            if (best is null)
            {
                return null;
            }
            _assigned.Add(best.Value.Task.Id);
            _pendingReduces--;
            return new Assignment(best.Value.Task.Id, best.Value.Node, Locality.Remote, Speculative: false);
        }

        private (TaskView Task, bool Failed)? BestReduceFor(Worker w)
        {
            TaskView? fallback = null;
            foreach (var task in _reduces.Live(_assigned))
            {
                if (!FailedOn(task, w.Node))
                {
                    return (task, false);
                }
                fallback ??= task;
            }
            return fallback is null ? null : (fallback, true);
        }

        public IEnumerable<Assignment> Speculate(
            List<Worker> workers, Dictionary<NodeId, Worker> byNode, IReadOnlyDictionary<AttemptId, AttemptProgress> progress,
            long now, SchedulerOptions options)
        {
            var stragglers = new List<(double Rate, AttemptView Attempt, TaskView Task)>();
            foreach (var kind in new[] { TaskKind.Map, TaskKind.Reduce })
            {
                var tasks = kind == TaskKind.Map ? Job.Maps : Job.Reduces;
                var rates = new List<(AttemptId Id, double Rate)>();
                foreach (var attempt in tasks.SelectMany(t => t.Attempts))
                {
                    if (RateOf(attempt, progress, now) is { } rate)
                    {
                        rates.Add((attempt.Id, rate));
                    }
                }
                foreach (var task in tasks.Where(t => t.State == TaskState.Running))
                {
                    var running = task.RunningAttempts.ToList();
                    if (running.Count != 1 || !progress.TryGetValue(running[0].Id, out var timing) || now - timing.RunningSince < options.SpeculativeMinRunMs)
                    {
                        continue;
                    }
                    var attempt = running[0];
                    var peers = rates.Where(r => r.Id.Task != task.Id).Select(r => r.Rate).ToList();
                    double own = RateOf(attempt, progress, now) ?? 0;
                    if (peers.Count > 0 && own < options.SpeculativeSlowFactor * peers.Average())
                    {
                        stragglers.Add((own, attempt, task));
                    }
                }
            }
            foreach (var (_, attempt, task) in stragglers.OrderBy(s => s.Rate).ThenBy(s => s.Attempt.Id))
            {
                var kind = task.Id.Kind;
                var placed = workers
                    .Where(w => w.Free(kind) > 0 && w.Node != attempt.Node && !Job.ExcludedNodes.Contains(w.Node))
                    .Select(w => (Worker: w, Failed: FailedOn(task, w.Node) ? 1 : 0, Locality: LocalityOf(task, w, byNode)))
                    .OrderBy(c => c.Failed).ThenBy(c => c.Locality).ThenByDescending(c => c.Worker.Free(kind)).ThenBy(c => c.Worker.Node)
                    .FirstOrDefault();
                if (placed.Worker is null)
                {
                    continue;
                }
                placed.Worker.Take(kind);
                yield return new Assignment(task.Id, placed.Worker.Node, placed.Locality, Speculative: true);
            }
        }

        /// <summary>
        /// Progress per ms: succeeded attempts by their duration (the replicated stamps, a difference of two dates:
        /// all there is after a failover), running ones by their last report over the time the caller has timed them.
        /// </summary>
        private static double? RateOf(AttemptView attempt, IReadOnlyDictionary<AttemptId, AttemptProgress> progress, long now)
        {
            if (attempt.State == AttemptState.Succeeded && attempt.FinishedAt is { } end)
            {
                return end > attempt.StartedAt ? 1.0 / (end - attempt.StartedAt) : null;
            }
            if (attempt.State == AttemptState.Running && progress.TryGetValue(attempt.Id, out var p) && now > p.RunningSince)
            {
                return Math.Clamp(p.Progress, 0, 1) / (now - p.RunningSince);
            }
            return null;
        }

        private static Locality LocalityOf(TaskView task, Worker worker, Dictionary<NodeId, Worker> byNode)
        {
            if (task.Split is not { } split)
            {
                return Locality.Remote;
            }
            if (split.Hosts.Contains(worker.Node))
            {
                return Locality.NodeLocal;
            }
            return worker.Rack is { } rack && split.Hosts.Any(h => byNode.TryGetValue(h, out var w) && w.Rack == rack)
                ? Locality.RackLocal
                : Locality.Remote;
        }

        /// <summary>For one worker: its best pending map, preferring one that has not failed there, then locality.</summary>
        private (TaskView Task, Locality Locality, bool Failed)? BestMapFor(Worker w)
        {
            (TaskView, Locality, bool)? fallback = null;
            foreach (var (queue, locality) in QueuesFor(w))
            {
                foreach (var task in queue.Live(_assigned))
                {
                    if (!FailedOn(task, w.Node))
                    {
                        return (task, locality, false);
                    }
                    fallback ??= (task, locality, true);
                }
            }
            return fallback;
        }

        private IEnumerable<(TaskQueue Queue, Locality Locality)> QueuesFor(Worker w)
        {
            if (_mapsByNode.TryGetValue(w.Node, out var local))
            {
                yield return (local, Locality.NodeLocal);
            }
            if (w.Rack is { } rack && _mapsByRack.TryGetValue(rack, out var rackLocal))
            {
                yield return (rackLocal, Locality.RackLocal);
            }
            yield return (_maps, Locality.Remote);
        }

        private static TaskQueue Queue<TKey>(Dictionary<TKey, TaskQueue> index, TKey key)
            where TKey : notnull
        {
            if (!index.TryGetValue(key, out var queue))
            {
                queue = new TaskQueue();
                index[key] = queue;
            }
            return queue;
        }
    }
}
