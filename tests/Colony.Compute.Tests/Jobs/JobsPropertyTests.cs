using Colony.Compute.Jobs;
using Colony.Compute.Scheduling;
using Colony.Core;
using static Colony.Compute.Tests.Fixture;
using TaskScheduler = Colony.Compute.Scheduling.TaskScheduler;

namespace Colony.Compute.Tests.Jobs;

/// <summary>Random but seeded command sequences, partly planned by the scheduler, checked against invariants.</summary>
public sealed class JobsPropertyTests
{
    private static readonly int[] JobStateRank = [0, 0, 1, 2, 2, 2];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void RandomHistoriesKeepTheInvariants(int seed)
    {
        var random = new Random(seed);
        var state = new JobsState(maxFinishedJobs: 3);
        var log = new List<byte[]>();
        var stateOf = new Dictionary<JobId, JobState>();
        var attemptsOf = new Dictionary<TaskId, int>();
        long now = 0;
        int accepted = 0;
        var kinds = new HashSet<string>();

        for (int step = 0; step < 1500; step++)
        {
            now += random.Next(0, 2_000);
            foreach (var command in NextCommands(state, random, now))
            {
                var bytes = JobsCommandCodec.Encode(command);
                log.Add(bytes);
                var result = state.Apply(JobsCommandCodec.Decode(bytes));
                if (result.Ok)
                {
                    accepted++;
                    kinds.Add(command is JobsCommand.StartAttempt { Speculative: true } ? "Backup" : command.GetType().Name);
                }
                CheckInvariants(state, command, stateOf, attemptsOf);
            }
        }

        Assert.True(accepted > 500, $"only {accepted} commands were accepted");
        Assert.Contains(state.Jobs, j => j.State == JobState.Succeeded);
        // The history went through every kind of change, backups and lost outputs included.
        Assert.Equal(
            ["AttemptFailed", "AttemptKilled", "AttemptSucceeded", "Backup", "CommitTask", "FinishJob", "KillJob", "MapOutputLost", "StartAttempt", "Submit"],
            kinds.Order(StringComparer.Ordinal));
        var replayed = new JobsState(maxFinishedJobs: 3);
        foreach (var bytes in log)
        {
            replayed.Apply(JobsCommandCodec.Decode(bytes));
        }
        Assert.Equal(Dump(state), Dump(replayed));
        using var snapshot = new MemoryStream();
        state.WriteSnapshot(snapshot);
        var restored = new JobsState();
        restored.Restore(new MemoryStream(snapshot.ToArray()));
        Assert.Equal(Dump(state), Dump(restored));
    }

    private static IEnumerable<JobsCommand> NextCommands(JobsState state, Random random, long now)
    {
        var running = state.RunningAttempts().ToList();
        var active = state.ActiveJobs.ToList();
        switch (random.Next(12))
        {
            case 0 when active.Count < 4:
                int maps = random.Next(0, 6);
                var splits = Enumerable.Range(0, maps).Select(i => Split(i, (ulong)random.Next(1, 6))).ToList();
                yield return new JobsCommand.Submit(Spec(reducers: random.Next(0, 3), priority: random.Next(-1, 3)), splits, now);
                break;
            case 1 or 2 or 3:
                var workers = Enumerable.Range(1, 5).Select(n => new WorkerSlots((ulong)n, n % 2 == 0 ? "/a" : "/b", 2, 1)).ToList();
                var progress = running.ToDictionary(a => a.Id, a => new AttemptProgress(a.Id, random.NextDouble(), now, a.StartedAt));
                foreach (var assignment in TaskScheduler.Assign(state, workers, progress, now, new SchedulerOptions { SpeculativeMinRunMs = 1_000 }))
                {
                    yield return assignment.ToCommand(now);
                }
                break;
            case 4 or 5 or 6 when running.Count > 0:
                var winner = running[random.Next(running.Count)];
                yield return new JobsCommand.AttemptSucceeded(winner.Id, "http://x/", new Dictionary<string, long> { ["records"] = random.Next(100) }, now);
                break;
            case 7 when running.Count > 0:
                yield return new JobsCommand.AttemptFailed(running[random.Next(running.Count)].Id, "boom", now);
                break;
            case 8 when running.Count > 0:
                yield return new JobsCommand.AttemptKilled(running[random.Next(running.Count)].Id, "hung", now);
                break;
            case 9:
                foreach (var command in TaskScheduler.OnWorkerLost(state, (ulong)random.Next(1, 6), now))
                {
                    yield return command;
                }
                break;
            case 10:
                foreach (var job in active.Where(j => j.State == JobState.Committing))
                {
                    foreach (var task in job.Tasks.Where(_ => random.Next(2) == 0))
                    {
                        yield return new JobsCommand.CommitTask(task.Id, now);
                    }
                    yield return new JobsCommand.FinishJob(job.Id, random.Next(8) == 0 ? JobState.Failed : JobState.Succeeded, null, now);
                }
                break;
            default:
                // Arbitrary, mostly refused commands about any job.
                var id = new JobId((ulong)random.Next(0, (int)state.NextJobId + 1));
                var taskId = new TaskId(id, random.Next(2) == 0 ? TaskKind.Map : TaskKind.Reduce, random.Next(0, 4));
                var attemptId = new AttemptId(taskId, random.Next(1, 4));
                yield return random.Next(6) switch
                {
                    0 => new JobsCommand.KillJob(id, "by test", now),
                    1 => new JobsCommand.StartAttempt(taskId, (ulong)random.Next(1, 6), Locality.Remote, random.Next(2) == 0, now),
                    2 => new JobsCommand.MapOutputLost(attemptId, "fetch failed", now),
                    3 => new JobsCommand.AttemptSucceeded(attemptId, null, new Dictionary<string, long>(), now),
                    4 => new JobsCommand.CommitTask(taskId, now),
                    _ => new JobsCommand.FinishJob(id, JobState.Succeeded, null, now),
                };
                break;
        }
    }

    private static void CheckInvariants(
        JobsState state, JobsCommand command, Dictionary<JobId, JobState> stateOf, Dictionary<TaskId, int> attemptsOf)
    {
        // Retention is applied on Submit: the new job is Running (or Committing when empty).
        Assert.True(command is not JobsCommand.Submit || state.Jobs.Count(j => j.IsFinished) <= 3);
        Assert.Equal(state.Jobs.Select(j => j.Id).Order(), state.Jobs.Select(j => j.Id));
        foreach (var job in state.Jobs)
        {
            if (stateOf.TryGetValue(job.Id, out var before))
            {
                // Forward only: Running, then Committing, then an end state, which is final.
                Assert.True(JobStateRank[(int)job.State] >= JobStateRank[(int)before], $"{job.Id} went from {before} to {job.State}");
                Assert.True(!job.IsFinished || before == job.State || before is JobState.Running or JobState.Committing);
                Assert.False(before == JobState.Committing && job.State == JobState.Running);
            }
            stateOf[job.Id] = job.State;
            Assert.Equal(job.IsFinished, job.FinishedAt is not null);
            foreach (var task in job.Tasks)
            {
                var attempts = task.Attempts;
                Assert.Equal(Enumerable.Range(1, attempts.Count), attempts.Select(a => a.Id.Number));
                Assert.All(attempts, a => Assert.Equal(task.Id, a.Id.Task));
                Assert.True(attempts.Count >= attemptsOf.GetValueOrDefault(task.Id));
                attemptsOf[task.Id] = attempts.Count;

                Assert.True(attempts.Count(a => a.State == AttemptState.Succeeded) <= 1, $"{task.Id} has two successes");
                Assert.Equal(task.State == TaskState.Succeeded, task.Succeeded is not null);
                Assert.True(task.Succeeded is null || task.Succeeded.State == AttemptState.Succeeded);
                int runningCount = task.RunningAttempts.Count();
                Assert.True(runningCount <= 2);
                Assert.True(runningCount == 0 || job.State == JobState.Running);
                Assert.Equal(runningCount > 0 && task.Succeeded is null, task.State == TaskState.Running);
                Assert.True(task.FailedAttempts <= JobsState.MaxAttempts);
                Assert.True(!task.Committed || task.State == TaskState.Succeeded);
                Assert.True(job.State != JobState.Committing || task.State == TaskState.Succeeded);
            }
            Assert.True(job.State != JobState.Succeeded || job.Tasks.All(t => t.State == TaskState.Succeeded));
            Assert.InRange(job.DataLocalFraction, 0, 1);
        }
    }
}
