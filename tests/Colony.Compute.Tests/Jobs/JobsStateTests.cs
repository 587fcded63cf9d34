using Colony.Compute.Jobs;
using Colony.Core;
using static Colony.Compute.Tests.Fixture;

namespace Colony.Compute.Tests.Jobs;

public sealed class JobsStateTests
{
    private readonly JobsState _state = new();

    [Fact]
    public void AJobRunsThroughCommittingToSucceeded()
    {
        var job = Submit(_state, maps: 2, reducers: 1, hosts: i => [(ulong)i + 1]);
        var view = _state.Find(job)!;
        Assert.Equal(new JobId(1), job);
        Assert.Equal(JobState.Running, view.State);
        Assert.Equal([TaskState.Pending, TaskState.Pending], view.Maps.Select(t => t.State));
        Assert.Single(view.Reduces);
        Assert.Equal(128, view.Maps[1].Split!.Offset);

        var m0 = Start(_state, Map(job, 0), 1, locality: Locality.NodeLocal);
        var m1 = Start(_state, Map(job, 1), 3, locality: Locality.Remote);
        Assert.Equal(new AttemptId(Map(job, 0), 1), m0);
        Assert.Equal(TaskState.Running, view.Maps[0].State);
        Assert.Equal(2, _state.RunningAttempts().Count());
        Assert.Equal([m1], _state.RunningAttemptsOn(3).Select(a => a.Id));

        Assert.True(Succeed(_state, m0, records: 5).Ok);
        Assert.True(Succeed(_state, m1, records: 7).Ok);
        Assert.Equal(2, view.MapsSucceeded);
        Assert.Equal(0.5, view.DataLocalFraction);
        Assert.Equal(JobState.Running, view.State);

        var r0 = Start(_state, Reduce(job, 0), 2, locality: Locality.Remote);
        Assert.True(Succeed(_state, r0, output: "/out/_temporary/r0", records: 3).Ok);
        Assert.Equal(JobState.Committing, view.State);
        Assert.Equal(15, view.Counters["records"]);
        Assert.Equal("/out/_temporary/r0", view.Reduces[0].Succeeded!.Output);

        Assert.True(_state.Apply(new JobsCommand.CommitTask(Reduce(job, 0), 4000)).Ok);
        Assert.True(view.Reduces[0].Committed);
        Assert.Equal(JobsError.Duplicate, _state.Apply(new JobsCommand.CommitTask(Reduce(job, 0), 4000)).Error);
        Assert.True(_state.Apply(new JobsCommand.FinishJob(job, JobState.Succeeded, null, 5000)).Ok);
        Assert.Equal(JobState.Succeeded, view.State);
        Assert.Equal(5000, view.FinishedAt);
        Assert.Equal(JobsError.JobNotRunning, _state.Apply(new JobsCommand.FinishJob(job, JobState.Failed, "late", 6000)).Error);
    }

    [Fact]
    public void AMapOnlyJobCommitsWhenItsMapsSucceed()
    {
        var job = Submit(_state, maps: 1, reducers: 0);
        Assert.True(Succeed(_state, Start(_state, Map(job, 0), 1), output: "/out/_temporary/m0").Ok);
        Assert.Equal(JobState.Committing, _state.Find(job)!.State);
        Assert.True(_state.Apply(new JobsCommand.CommitTask(Map(job, 0), 4000)).Ok);
    }

    [Fact]
    public void AnEmptyJobGoesStraightToCommitting()
    {
        var job = Submit(_state, maps: 0, reducers: 0);
        Assert.Equal(JobState.Committing, _state.Find(job)!.State);
    }

    [Fact]
    public void SucceedingAJobIsOnlyPossibleFromCommitting()
    {
        var job = Submit(_state, maps: 1, reducers: 0);
        Assert.Equal(JobsError.JobNotRunning, _state.Apply(new JobsCommand.FinishJob(job, JobState.Succeeded, null, 1)).Error);
        Assert.Equal(JobsError.JobNotRunning, _state.Apply(new JobsCommand.CommitTask(Map(job, 0), 1)).Error);
        Assert.Equal(JobsError.Invalid, _state.Apply(new JobsCommand.FinishJob(job, JobState.Killed, null, 1)).Error);
        Assert.Equal(JobsError.NoSuchJob, _state.Apply(new JobsCommand.FinishJob(new JobId(99), JobState.Failed, null, 1)).Error);
        Assert.True(_state.Apply(new JobsCommand.FinishJob(job, JobState.Failed, "commit failed: disk full", 7)).Ok);
        Assert.Equal("commit failed: disk full", _state.Find(job)!.Error);
    }

    [Fact]
    public void JobIdsComeFromACounter()
    {
        Assert.Equal(new JobId(1), Submit(_state, 0, 0));
        Assert.Equal(new JobId(2), Submit(_state, 0, 0));
        Assert.Equal((ulong)3, _state.NextJobId);
    }

    [Fact]
    public void TheFirstSuccessWinsAndLaterOnesAreDuplicates()
    {
        var job = Submit(_state, maps: 2, reducers: 1);
        var first = Start(_state, Map(job, 0), 1);
        var backup = Start(_state, Map(job, 0), 2, speculative: true);
        Assert.True(Succeed(_state, backup, output: "http://2/out").Ok);
        var task = _state.Find(job)!.Maps[0];
        Assert.Equal(backup, task.Succeeded!.Id);
        Assert.Equal(AttemptState.Killed, task.Attempts[0].State);
        Assert.Equal("superseded by a2", task.Attempts[0].Error);

        var late = Succeed(_state, first, output: "http://1/out");
        Assert.Equal(JobsError.Duplicate, late.Error);
        Assert.Equal("http://2/out", task.Succeeded.Output);
        Assert.Equal(JobsError.Duplicate, Succeed(_state, backup).Error);
        Assert.Equal(JobsError.TaskDone, _state.Apply(new JobsCommand.StartAttempt(Map(job, 0), 3, Locality.Remote, false, 1)).Error);
    }

    [Fact]
    public void ANonSpeculativeStartNeedsNoRunningAttempt()
    {
        var job = Submit(_state, maps: 1, reducers: 1);
        Start(_state, Map(job, 0), 1);
        Assert.Equal(JobsError.AlreadyRunning, _state.Apply(new JobsCommand.StartAttempt(Map(job, 0), 2, Locality.Remote, false, 1)).Error);
    }

    [Fact]
    public void ABackupNeedsExactlyOneRunningAttemptOnAnotherNode()
    {
        var job = Submit(_state, maps: 2, reducers: 1);
        var noneRunning = _state.Apply(new JobsCommand.StartAttempt(Map(job, 1), 2, Locality.Remote, true, 1));
        Assert.Equal(JobsError.Invalid, noneRunning.Error);

        Start(_state, Map(job, 0), 1);
        Assert.Equal(JobsError.Invalid, _state.Apply(new JobsCommand.StartAttempt(Map(job, 0), 1, Locality.Remote, true, 1)).Error);
        var backup = Start(_state, Map(job, 0), 2, speculative: true);
        Assert.True(_state.Find(backup)!.Speculative);
        Assert.Equal(JobsError.AlreadyRunning, _state.Apply(new JobsCommand.StartAttempt(Map(job, 0), 3, Locality.Remote, true, 1)).Error);
    }

    [Fact]
    public void UnknownIdsAreRefused()
    {
        var job = Submit(_state, maps: 1, reducers: 0);
        Assert.Equal(JobsError.NoSuchJob, _state.Apply(new JobsCommand.StartAttempt(Map(new JobId(5), 0), 1, Locality.Remote, false, 1)).Error);
        Assert.Equal(JobsError.NoSuchTask, _state.Apply(new JobsCommand.StartAttempt(Map(job, 1), 1, Locality.Remote, false, 1)).Error);
        Assert.Equal(JobsError.NoSuchTask, _state.Apply(new JobsCommand.StartAttempt(Reduce(job, 0), 1, Locality.Remote, false, 1)).Error);
        Assert.Equal(JobsError.NoSuchAttempt, Succeed(_state, new AttemptId(Map(job, 0), 1)).Error);
        Assert.Equal(JobsError.Invalid, _state.Apply(new JobsCommand.StartAttempt(Map(job, 0), NodeId.None, Locality.Remote, false, 1)).Error);
    }

    [Fact]
    public void ATaskFailingFourTimesFailsTheJobWithItsLastError()
    {
        var job = Submit(_state, maps: 2, reducers: 1);
        var other = Start(_state, Map(job, 1), 9);
        for (int i = 1; i <= 3; i++)
        {
            Assert.True(Fail(_state, Start(_state, Map(job, 0), (ulong)i), $"error {i}").Ok);
            Assert.Equal(JobState.Running, _state.Find(job)!.State);
            Assert.Equal(TaskState.Pending, _state.Find(job)!.Maps[0].State);
        }
        var fourth = Start(_state, Map(job, 0), 4);
        Assert.Equal(4, fourth.Number);
        Assert.True(Fail(_state, fourth, "java.io.IOException: bad record", at: 9000).Ok);

        var view = _state.Find(job)!;
        Assert.Equal(JobState.Failed, view.State);
        Assert.Equal("task job-000001-m-00000 failed 4 times; last error: java.io.IOException: bad record", view.Error);
        Assert.Equal(9000, view.FinishedAt);
        Assert.Equal(TaskState.Failed, view.Maps[0].State);
        Assert.Equal(TaskState.Killed, view.Maps[1].State);
        Assert.Equal(AttemptState.Killed, _state.Find(other)!.State);
        Assert.Empty(_state.RunningAttempts());
        Assert.Equal(JobsError.JobNotRunning, _state.Apply(new JobsCommand.StartAttempt(Map(job, 0), 5, Locality.Remote, false, 1)).Error);
    }

    [Fact]
    public void KilledAttemptsAreNotFailures()
    {
        var job = Submit(_state, maps: 1, reducers: 1);
        for (int i = 0; i < 6; i++)
        {
            var attempt = Start(_state, Map(job, 0), 1);
            Assert.True(_state.Apply(new JobsCommand.AttemptKilled(attempt, "worker 1 lost", 1)).Ok);
        }
        Assert.Equal(JobState.Running, _state.Find(job)!.State);
        Assert.Equal(TaskState.Pending, _state.Find(job)!.Maps[0].State);
        Assert.Equal(JobsError.Duplicate, _state.Apply(new JobsCommand.AttemptKilled(new AttemptId(Map(job, 0), 1), "again", 1)).Error);
    }

    [Fact]
    public void ANodeFailingThreeAttemptsOfAJobIsExcludedForIt()
    {
        var job = Submit(_state, maps: 4, reducers: 1);
        var other = Submit(_state, maps: 1, reducers: 1);
        // Nodes 1 to 3 have run the job, so excluding one still leaves most of them.
        Assert.True(Succeed(_state, Start(_state, Map(job, 3), 2)).Ok);
        Assert.True(Succeed(_state, Start(_state, Map(job, 2), 3)).Ok);
        Assert.True(Fail(_state, Start(_state, Map(job, 0), 1)).Ok);
        Assert.True(Fail(_state, Start(_state, Map(job, 1), 1)).Ok);
        Assert.DoesNotContain(new NodeId(1), _state.Find(job)!.ExcludedNodes);
        Assert.True(Fail(_state, Start(_state, Map(job, 0), 1)).Ok);

        Assert.Equal([new NodeId(1)], _state.Find(job)!.ExcludedNodes);
        Assert.Equal(JobsError.NodeExcluded, _state.Apply(new JobsCommand.StartAttempt(Map(job, 1), 1, Locality.Remote, false, 1)).Error);
        Start(_state, Map(other, 0), 1);
    }

    [Fact]
    public void TheOnlyNodeAJobHasRunOnIsNeverExcluded()
    {
        var job = Submit(_state, maps: 3, reducers: 1);
        for (int i = 0; i < 3; i++)
        {
            Assert.True(Fail(_state, Start(_state, Map(job, i), 1)).Ok);
        }
        Assert.Empty(_state.Find(job)!.ExcludedNodes);
        Start(_state, Map(job, 0), 1);
    }

    [Fact]
    public void LosingANeededMapOutputRunsTheMapAgain()
    {
        var job = Submit(_state, maps: 2, reducers: 2);
        var m0 = Start(_state, Map(job, 0), 1);
        Assert.True(Succeed(_state, m0).Ok);
        Assert.True(_state.Apply(new JobsCommand.MapOutputLost(m0, "worker 1 lost", 5000)).Ok);

        var task = _state.Find(job)!.Maps[0];
        Assert.Equal(TaskState.Pending, task.State);
        Assert.Null(task.Succeeded);
        Assert.Equal(AttemptState.Killed, task.Attempts[0].State);
        Assert.Contains("worker 1 lost", task.Attempts[0].Error, StringComparison.Ordinal);
        Assert.Equal(0, _state.Find(job)!.MapsSucceeded);
        Assert.Equal(2, Start(_state, Map(job, 0), 2).Number);
        Assert.Equal(JobsError.Invalid, _state.Apply(new JobsCommand.MapOutputLost(m0, "twice", 5000)).Error);
    }

    [Fact]
    public void LosingAMapOutputNoOneNeedsChangesNothing()
    {
        // Map-only: the map wrote to the file system, not to its node.
        var mapOnly = Submit(_state, maps: 1, reducers: 0);
        var a = Start(_state, Map(mapOnly, 0), 1);
        Assert.True(_state.Apply(new JobsCommand.StartAttempt(Map(mapOnly, 0), 2, Locality.Remote, true, 1)).Ok);
        Assert.True(Succeed(_state, a).Ok);
        Assert.Equal(JobsError.Duplicate, _state.Apply(new JobsCommand.AttemptKilled(new AttemptId(Map(mapOnly, 0), 2), "late", 1)).Error);
        AssertIgnored(a);

        // Every reduce has already fetched and succeeded.
        var done = Submit(_state, maps: 2, reducers: 1);
        var m0 = Start(_state, Map(done, 0), 1);
        Assert.True(Succeed(_state, m0).Ok);
        Assert.True(Succeed(_state, Start(_state, Map(done, 1), 1)).Ok);
        var r = Start(_state, Reduce(done, 0), 1);
        Assert.True(Succeed(_state, r).Ok);
        AssertIgnored(m0);

        // The job was killed.
        var killed = Submit(_state, maps: 2, reducers: 1);
        var k0 = Start(_state, Map(killed, 0), 1);
        Assert.True(Succeed(_state, k0).Ok);
        Assert.True(_state.Apply(new JobsCommand.KillJob(killed, "by ann", 1)).Ok);
        AssertIgnored(k0);

        void AssertIgnored(AttemptId attempt)
        {
            var before = Dump(_state);
            var result = _state.Apply(new JobsCommand.MapOutputLost(attempt, "worker 1 lost", 5000));
            Assert.True(result.Ok);
            Assert.NotNull(result.Message);
            Assert.Equal(before, Dump(_state));
        }
    }

    [Fact]
    public void KillingAJobKillsItsRunningAttempts()
    {
        var job = Submit(_state, maps: 2, reducers: 1);
        var a = Start(_state, Map(job, 0), 1);
        Assert.True(Succeed(_state, Start(_state, Map(job, 1), 1)).Ok);
        Assert.True(_state.Apply(new JobsCommand.KillJob(job, "killed by ann", 7000)).Ok);

        var view = _state.Find(job)!;
        Assert.Equal(JobState.Killed, view.State);
        Assert.Equal("killed by ann", view.Error);
        Assert.Equal(AttemptState.Killed, _state.Find(a)!.State);
        Assert.Equal([TaskState.Killed, TaskState.Succeeded], view.Maps.Select(t => t.State));
        Assert.Equal(TaskState.Killed, view.Reduces[0].State);
        Assert.Equal(JobsError.Duplicate, Succeed(_state, a).Error);
        Assert.Equal(JobsError.JobNotRunning, _state.Apply(new JobsCommand.KillJob(job, "again", 8000)).Error);
    }

    [Fact]
    public void OnlyTheNewestFinishedJobsAreKept()
    {
        var state = new JobsState(maxFinishedJobs: 2);
        var running = Submit(state, 1, 0);
        var finished = Enumerable.Range(0, 3).Select(_ => Submit(state, 1, 0)).ToList();
        foreach (var job in finished)
        {
            Assert.True(state.Apply(new JobsCommand.KillJob(job, "x", 1)).Ok);
        }
        Assert.Equal(4, state.Jobs.Count);
        var newest = Submit(state, 1, 0);

        Assert.Equal([running, finished[1], finished[2], newest], state.Jobs.Select(j => j.Id));
        Assert.Null(state.Find(finished[0]));
    }

    [Fact]
    public void ASubmitOverTheLimitsIsInvalid()
    {
        var spec = Spec(reducers: -1);
        Assert.Equal(JobsError.Invalid, _state.Apply(new JobsCommand.Submit(spec, [], 1)).Error);
        Assert.Empty(_state.Jobs);
    }
}
