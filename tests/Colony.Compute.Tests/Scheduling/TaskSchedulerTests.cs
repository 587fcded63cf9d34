using Colony.Compute.Jobs;
using Colony.Compute.Scheduling;
using Colony.Core;
using static Colony.Compute.Tests.Fixture;
using TaskScheduler = Colony.Compute.Scheduling.TaskScheduler;

namespace Colony.Compute.Tests.Scheduling;

public sealed class TaskSchedulerTests
{
    private static readonly Dictionary<AttemptId, AttemptProgress> NoProgress = [];
    private static readonly SchedulerOptions Options = new();
    private readonly JobsState _state = new();

    private static WorkerSlots Worker(ulong node, int maps = 1, int reduces = 1, string? rack = null) => new(node, rack, maps, reduces);

    private IReadOnlyList<Assignment> Assign(IReadOnlyList<WorkerSlots> workers, long now = 0, IReadOnlyDictionary<AttemptId, AttemptProgress>? progress = null, SchedulerOptions? options = null) =>
        TaskScheduler.Assign(_state, workers, progress ?? NoProgress, now, options ?? Options);

    /// <summary>Proposes the assignments as StartAttempt commands, as the tracker does.</summary>
    private void StartAll(IEnumerable<Assignment> assignments, long at = 0)
    {
        foreach (var assignment in assignments)
        {
            Assert.True(_state.Apply(assignment.ToCommand(at)).Ok);
        }
    }

    [Fact]
    public void MapsGoToANodeHoldingTheirBlock()
    {
        var job = Submit(_state, maps: 3, reducers: 0, hosts: i => i switch { 0 => [3], 1 => [1], _ => [2] });
        var plan = Assign([Worker(1), Worker(2)]);
        Assert.Equal(
            [new Assignment(Map(job, 1), 1, Locality.NodeLocal, false), new Assignment(Map(job, 2), 2, Locality.NodeLocal, false)],
            plan.OrderBy(a => a.Node));
    }

    [Fact]
    public void RackLocalComesBeforeRemote()
    {
        var job = Submit(_state, maps: 2, reducers: 0, hosts: i => i == 0 ? [3] : [4]);
        var plan = Assign([Worker(1, rack: "/a"), Worker(2, rack: "/b"), Worker(3, maps: 0, rack: "/a")]);
        Assert.Equal(
            [new Assignment(Map(job, 0), 1, Locality.RackLocal, false), new Assignment(Map(job, 1), 2, Locality.Remote, false)],
            plan.OrderBy(a => a.Node));
    }

    [Fact]
    public void TheDataLocalFractionCountsNodeLocalSuccesses()
    {
        var job = Submit(_state, maps: 4, reducers: 0, hosts: i => i < 3 ? [(ulong)i + 1] : [9]);
        var plan = Assign([Worker(1), Worker(2), Worker(3), Worker(4)]);
        StartAll(plan);
        foreach (var attempt in _state.RunningAttempts().ToList())
        {
            Assert.True(Succeed(_state, attempt.Id).Ok);
        }
        Assert.Equal(0.75, _state.Find(job)!.DataLocalFraction);
    }

    [Fact]
    public void FreeSlotsAreSlotsMinusRunningAttempts()
    {
        var job = Submit(_state, maps: 8, reducers: 2);
        Start(_state, Map(job, 0), 1);
        var plan = Assign([Worker(1, maps: 3, reduces: 2)]);
        Assert.Equal(2, plan.Count);
        Assert.All(plan, a => Assert.Equal(TaskKind.Map, a.Task.Kind));
        StartAll(plan);
        Assert.Empty(Assign([Worker(1, maps: 3, reduces: 2)]));
        Assert.Equal(3, Assign([Worker(1, maps: 6, reduces: 2)]).Count);
    }

    [Fact]
    public void ReducesWaitForTheSlowStartShareOfMaps()
    {
        var job = Submit(_state, maps: 10, reducers: 1);
        for (int i = 0; i < 7; i++)
        {
            Assert.True(Succeed(_state, Start(_state, Map(job, i), 1)).Ok);
        }
        var workers = new[] { Worker(1, maps: 0, reduces: 4) };
        Assert.Empty(Assign(workers));
        Assert.True(Succeed(_state, Start(_state, Map(job, 7), 1)).Ok);
        Assert.Equal([new Assignment(Reduce(job, 0), 1, Locality.Remote, false)], Assign(workers));
        Assert.Empty(Assign(workers, options: Options with { ReduceSlowStart = 1.0 }));
    }

    [Fact]
    public void AJobWithoutMapsRunsItsReducesAtOnce()
    {
        var job = Submit(_state, maps: 0, reducers: 2);
        var plan = Assign([Worker(1, reduces: 1), Worker(2, reduces: 1)]);
        Assert.Equal([Reduce(job, 0), Reduce(job, 1)], plan.Select(a => a.Task).Order());
    }

    [Fact]
    public void MapsComeBeforeReducesOfTheSameJob()
    {
        var job = Submit(_state, maps: 2, reducers: 1);
        var plan = Assign([Worker(1, maps: 2, reduces: 1)], options: Options with { ReduceSlowStart = 0 });
        Assert.Equal([Map(job, 0), Map(job, 1), Reduce(job, 0)], plan.Select(a => a.Task));
    }

    [Fact]
    public void SlotsAreSharedByPriorityWeight()
    {
        var low = Submit(_state, maps: 20, reducers: 0, priority: 0);
        var high = Submit(_state, maps: 20, reducers: 0, priority: 1);
        var plan = Assign([Worker(1, maps: 4), Worker(2, maps: 5)]);
        Assert.Equal(3, plan.Count(a => a.Task.Job == low));
        Assert.Equal(6, plan.Count(a => a.Task.Job == high));
    }

    [Fact]
    public void TheShareCountsAttemptsAlreadyRunning()
    {
        var first = Submit(_state, maps: 10, reducers: 0);
        StartAll(Assign([Worker(1, maps: 4)]));
        Assert.Equal(4, _state.RunningAttempts().Count(a => a.Id.Task.Job == first));
        var second = Submit(_state, maps: 10, reducers: 0);
        var plan = Assign([Worker(1, maps: 4), Worker(2, maps: 4)]);
        Assert.All(plan, a => Assert.Equal(second, a.Task.Job));
        Assert.Equal(4, plan.Count);
    }

    [Fact]
    public void ATiedShareGoesToTheOlderJob()
    {
        var older = Submit(_state, maps: 2, reducers: 0, priority: 2);
        Submit(_state, maps: 2, reducers: 0, priority: 2);
        Assert.Equal(older, Assert.Single(Assign([Worker(1)])).Task.Job);
        Assert.True(TaskScheduler.WeightOf(-1) < TaskScheduler.WeightOf(0));
        Assert.Equal(3, TaskScheduler.WeightOf(2));
    }

    [Fact]
    public void AnExcludedNodeIsNeverUsed()
    {
        var job = Submit(_state, maps: 6, reducers: 1, hosts: _ => [1]);
        Assert.True(Succeed(_state, Start(_state, Map(job, 5), 2)).Ok);
        for (int i = 0; i < 3; i++)
        {
            Assert.True(Fail(_state, Start(_state, Map(job, i), 1)).Ok);
        }
        Assert.Contains(new NodeId(1), _state.Find(job)!.ExcludedNodes);

        Assert.Empty(Assign([Worker(1, maps: 8, reduces: 8)], options: Options with { ReduceSlowStart = 0 }));
        var plan = Assign([Worker(1, maps: 8), Worker(2, maps: 8)]);
        Assert.Equal(5, plan.Count);
        Assert.All(plan, a => Assert.Equal(new NodeId(2), a.Node));
    }

    [Fact]
    public void ARetryPrefersANodeWhereTheTaskHasNotFailed()
    {
        var job = Submit(_state, maps: 1, reducers: 0, hosts: _ => [1]);
        Assert.True(Fail(_state, Start(_state, Map(job, 0), 1)).Ok);
        Assert.Equal([new Assignment(Map(job, 0), 2, Locality.Remote, false)], Assign([Worker(1), Worker(2)]));
        Assert.Equal([new Assignment(Map(job, 0), 1, Locality.NodeLocal, false)], Assign([Worker(1)]));
    }

    [Fact]
    public void AReduceRetryPrefersAnotherNode()
    {
        var job = Submit(_state, maps: 0, reducers: 1);
        Assert.True(Fail(_state, Start(_state, Reduce(job, 0), 1)).Ok);
        Assert.Equal(new NodeId(2), Assert.Single(Assign([Worker(1, reduces: 3), Worker(2)])).Node);
    }

    [Fact]
    public void TheSamePlanComesFromTheSameInputs()
    {
        Submit(_state, maps: 30, reducers: 3, priority: 1, hosts: i => [(ulong)(i % 5) + 1, (ulong)(i % 3) + 2]);
        Submit(_state, maps: 12, reducers: 0, hosts: i => [(ulong)(i % 4) + 1]);
        var workers = Enumerable.Range(1, 6).Select(i => Worker((ulong)i, maps: 2, rack: i % 2 == 0 ? "/even" : "/odd")).ToList();
        var plan = Assign(workers);
        Assert.Equal(12, plan.Count);
        Assert.Equal(plan, Assign(workers));
        Assert.Equal(plan, Assign([.. workers.AsEnumerable().Reverse()]));
        Assert.Equal(plan.Count, plan.Select(a => a.Task).Distinct().Count());
    }

    [Fact]
    public void NoWorkersNoJobsNoAssignments()
    {
        Assert.Empty(Assign([Worker(1)]));
        Submit(_state, maps: 1, reducers: 0);
        Assert.Empty(Assign([]));
    }

    /// <summary>Three maps started at 0 on nodes 1 to 3, with the given progress at 20 s.</summary>
    private (JobId Job, Dictionary<AttemptId, AttemptProgress> Progress) ThreeRunningMaps(params double[] progress)
    {
        var job = Submit(_state, maps: 3, reducers: 0, hosts: i => [(ulong)i + 1]);
        var report = new Dictionary<AttemptId, AttemptProgress>();
        for (int i = 0; i < 3; i++)
        {
            var attempt = Start(_state, Map(job, i), (ulong)i + 1, at: 0);
            report[attempt] = new AttemptProgress(attempt, progress[i], 19_000, RunningSince: 0);
        }
        return (job, report);
    }

    private static readonly WorkerSlots[] FourWorkers = [Worker(1), Worker(2), Worker(3), Worker(4)];

    [Fact]
    public void AStragglerGetsABackupOnAnotherNode()
    {
        var (job, progress) = ThreeRunningMaps(0.9, 0.8, 0.1);
        var plan = Assign(FourWorkers, now: 20_000, progress: progress);
        Assert.Equal([new Assignment(Map(job, 2), 4, Locality.Remote, true)], plan);
        StartAll(plan, at: 20_000);
        Assert.Empty(Assign([.. FourWorkers, Worker(5)], now: 20_000, progress: progress));
    }

    [Fact]
    public void NoBackupWhenEveryAttemptKeepsPace()
    {
        var (_, progress) = ThreeRunningMaps(0.9, 0.8, 0.6);
        Assert.Empty(Assign(FourWorkers, now: 20_000, progress: progress));
    }

    [Fact]
    public void NoBackupForAYoungAttempt()
    {
        var (_, progress) = ThreeRunningMaps(0.9, 0.8, 0.1);
        Assert.Empty(Assign(FourWorkers, now: 9_000, progress: progress));
    }

    [Fact]
    public void NoBackupWhenSpeculationIsOff()
    {
        var (_, progress) = ThreeRunningMaps(0.9, 0.8, 0.1);
        Assert.Empty(Assign(FourWorkers, now: 20_000, progress: progress, options: Options with { Speculation = false }));
    }

    [Fact]
    public void NoBackupWithoutAFreeSlot()
    {
        var (_, progress) = ThreeRunningMaps(0.9, 0.8, 0.1);
        Assert.Empty(Assign(FourWorkers[..3], now: 20_000, progress: progress));
    }

    [Fact]
    public void APendingTaskTakesTheSlotBeforeABackup()
    {
        var job = Submit(_state, maps: 4, reducers: 0);
        var progress = new Dictionary<AttemptId, AttemptProgress>();
        for (int i = 0; i < 3; i++)
        {
            var attempt = Start(_state, Map(job, i), (ulong)i + 1, at: 0);
            progress[attempt] = new AttemptProgress(attempt, i == 2 ? 0.1 : 0.9, 19_000, RunningSince: 0);
        }
        Assert.Equal([new Assignment(Map(job, 3), 4, Locality.Remote, false)], Assign(FourWorkers, now: 20_000, progress: progress));
    }

    [Fact]
    public void NoBackupWhileTheJobHasReducesWaitingToStart()
    {
        var job = Submit(_state, maps: 3, reducers: 1);
        var progress = new Dictionary<AttemptId, AttemptProgress>();
        for (int i = 0; i < 3; i++)
        {
            var attempt = Start(_state, Map(job, i), (ulong)i + 1, at: 0);
            progress[attempt] = new AttemptProgress(attempt, i == 2 ? 0.1 : 0.9, 19_000, RunningSince: 0);
        }
        Assert.Empty(Assign(FourWorkers, now: 20_000, progress: progress));
        Assert.Single(Assign(FourWorkers, now: 20_000, progress: progress, options: Options with { ReduceSlowStart = 0 }), a => !a.Speculative);
    }

    [Fact]
    public void SucceededPeersSetThePaceForTheLastTask()
    {
        var job = Submit(_state, maps: 3, reducers: 0);
        Assert.True(Succeed(_state, Start(_state, Map(job, 0), 1, at: 0), at: 5_000).Ok);
        Assert.True(Succeed(_state, Start(_state, Map(job, 1), 2, at: 0), at: 6_000).Ok);
        var last = Start(_state, Map(job, 2), 3, at: 0);
        var progress = new Dictionary<AttemptId, AttemptProgress> { [last] = new(last, 0.5, 29_000, RunningSince: 0) };
        var backup = Assert.Single(Assign(FourWorkers, now: 30_000, progress: progress));
        Assert.True(backup.Speculative);
        Assert.NotEqual(new NodeId(3), backup.Node);
    }

    [Fact]
    public void HungAttemptsAreThoseSilentForTheTimeout()
    {
        var job = Submit(_state, maps: 3, reducers: 0);
        var reported = Start(_state, Map(job, 0), 1, at: 0);
        var silent = Start(_state, Map(job, 1), 2, at: 0);
        var young = Start(_state, Map(job, 2), 3, at: 50_000);
        var progress = new Dictionary<AttemptId, AttemptProgress>
        {
            [reported] = new(reported, 0.3, 30_000, RunningSince: 0),
            [silent] = new(silent, 0, 0, RunningSince: 0),
            [young] = new(young, 0, 50_000, RunningSince: 50_000),
        };

        Assert.Equal([silent], TaskScheduler.FindHung(_state, progress, 60_000, Options));
        Assert.Equal([silent], TaskScheduler.FindHung(_state, progress, 89_999, Options));
        Assert.Equal([reported, silent], TaskScheduler.FindHung(_state, progress, 90_000, Options));
        Assert.Equal([reported, silent, young], TaskScheduler.FindHung(_state, progress, 110_000, Options));
    }

    [Fact]
    public void HungIsTimedOnTheCallersClockNeverOnTheStartStamps()
    {
        // The start stamps are wall-clock dates; the tracker times attempts on its monotonic clock, here from 200 s.
        var job = Submit(_state, maps: 3, reducers: 0);
        var stampedLate = Start(_state, Map(job, 0), 1, at: 1_800_000_000_000);
        var stampedEarly = Start(_state, Map(job, 1), 2, at: 0);
        var untimed = Start(_state, Map(job, 2), 3, at: 0);
        var progress = new Dictionary<AttemptId, AttemptProgress>
        {
            [stampedLate] = new(stampedLate, 0, 200_000, RunningSince: 200_000),
            [stampedEarly] = new(stampedEarly, 0.5, 250_000, RunningSince: 200_000),
        };

        Assert.Empty(TaskScheduler.FindHung(_state, progress, 259_999, Options));
        Assert.Equal([stampedLate], TaskScheduler.FindHung(_state, progress, 260_000, Options));
        Assert.Equal([stampedLate, stampedEarly], TaskScheduler.FindHung(_state, progress, 310_000, Options));
        Assert.DoesNotContain(untimed, TaskScheduler.FindHung(_state, progress, 10_000_000, Options));
    }

    [Fact]
    public void AStragglersAgeIsTimedOnTheCallersClockNeverOnItsStartStamp()
    {
        var (_, progress) = ThreeRunningMaps(0.9, 0.8, 0.1);
        var straggler = progress.Keys.Single(a => a.Task.Index == 2);

        // Its stamp says it started long ago, but the tracker has timed it for 5 s only: too young for a backup.
        progress[straggler] = progress[straggler] with { RunningSince = 15_000 };
        Assert.Empty(Assign(FourWorkers, now: 20_000, progress: progress));

        // Timed for 20 s, it gets its backup whatever the stamps say.
        progress[straggler] = progress[straggler] with { RunningSince = 0 };
        Assert.Single(Assign(FourWorkers, now: 20_000, progress: progress), a => a.Speculative);

        // An attempt the caller does not time is never taken for a straggler.
        progress.Remove(straggler);
        Assert.Empty(Assign(FourWorkers, now: 20_000, progress: progress));
    }

    [Fact]
    public void ALostWorkersRunningAttemptsAndNeededMapOutputsAreRunAgain()
    {
        var job = Submit(_state, maps: 3, reducers: 1);
        var m0 = Start(_state, Map(job, 0), 1);
        Assert.True(Succeed(_state, m0).Ok);
        Assert.True(Succeed(_state, Start(_state, Map(job, 1), 2)).Ok);
        var m2 = Start(_state, Map(job, 2), 1);
        var mapOnly = Submit(_state, maps: 1, reducers: 0);
        Assert.True(Succeed(_state, Start(_state, Map(mapOnly, 0), 1)).Ok);

        var commands = TaskScheduler.OnWorkerLost(_state, 1, 9_000);
        Assert.Equal(
            [new JobsCommand.AttemptKilled(m2, "worker 1 lost", 9_000), new JobsCommand.MapOutputLost(m0, "worker 1 lost", 9_000)],
            commands);
        foreach (var command in commands)
        {
            Assert.True(_state.Apply(command).Ok);
        }
        Assert.Equal([TaskState.Pending, TaskState.Succeeded, TaskState.Pending], _state.Find(job)!.Maps.Select(t => t.State));
        Assert.Equal(JobState.Committing, _state.Find(mapOnly)!.State);

        var plan = Assign([Worker(2, maps: 4)]);
        Assert.Equal([Map(job, 0), Map(job, 2)], plan.Select(a => a.Task));
    }

    [Fact]
    public void ALostWorkerWithNothingOnItChangesNothing()
    {
        var job = Submit(_state, maps: 1, reducers: 1);
        Assert.True(Succeed(_state, Start(_state, Map(job, 0), 1)).Ok);
        Assert.True(Succeed(_state, Start(_state, Reduce(job, 0), 2)).Ok);
        Assert.Empty(TaskScheduler.OnWorkerLost(_state, 1, 0));
        Assert.Empty(TaskScheduler.OnWorkerLost(_state, 7, 0));
    }
}
