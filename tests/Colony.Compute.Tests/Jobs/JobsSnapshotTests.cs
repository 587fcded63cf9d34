using Colony.Compute.Jobs;
using Colony.Consensus.StateMachine;
using static Colony.Compute.Tests.Fixture;

namespace Colony.Compute.Tests.Jobs;

public sealed class JobsSnapshotTests
{
    /// <summary>A state with a job in every state, speculation, failures, exclusion and lost output.</summary>
    private static JobsState Busy()
    {
        var state = new JobsState();
        var done = Submit(state, maps: 2, reducers: 1, hosts: i => [1, 2]);
        RunAll(state, done);
        Assert.True(state.Apply(new JobsCommand.CommitTask(Reduce(done, 0), 10)).Ok);
        Assert.True(state.Apply(new JobsCommand.FinishJob(done, JobState.Succeeded, null, 11)).Ok);

        var running = Submit(state, maps: 4, reducers: 2, priority: -3, hosts: i => [(ulong)i + 1]);
        Assert.True(Succeed(state, Start(state, Map(running, 3), 2)).Ok);
        Assert.True(Succeed(state, Start(state, Map(running, 2), 3)).Ok);
        for (int i = 0; i < 3; i++)
        {
            Assert.True(Fail(state, Start(state, Map(running, i % 2), 1), $"error {i}").Ok);
        }
        var slow = Start(state, Map(running, 0), 4, locality: Locality.RackLocal);
        Start(state, Map(running, 0), 5, speculative: true, locality: Locality.Remote);
        Assert.True(Succeed(state, slow, output: "http://4:9000/").Ok);
        var lost = state.Find(running)!.Maps[2].Succeeded!.Id;
        Assert.True(state.Apply(new JobsCommand.MapOutputLost(lost, "fetch failures", 20)).Ok);
        Start(state, Reduce(running, 1), 3);

        var committing = Submit(state, maps: 1, reducers: 0);
        RunAll(state, committing);
        Assert.True(state.Apply(new JobsCommand.CommitTask(Map(committing, 0), 30)).Ok);

        var killed = Submit(state, maps: 1, reducers: 1);
        Start(state, Map(killed, 0), 1);
        Assert.True(state.Apply(new JobsCommand.KillJob(killed, "by ann", 40)).Ok);
        Submit(state, maps: 0, reducers: 3);
        return state;
    }

    private static byte[] Snapshot(JobsState state)
    {
        using var stream = new MemoryStream();
        state.WriteSnapshot(stream);
        return stream.ToArray();
    }

    [Fact]
    public void ARestoredStateEqualsTheOriginal()
    {
        var original = Busy();
        Assert.NotEmpty(original.Find(new JobId(2))!.ExcludedNodes);
        var bytes = Snapshot(original);

        var restored = new JobsState();
        restored.Restore(new MemoryStream(bytes));

        Assert.Equal(Dump(original), Dump(restored));
        Assert.Equal(bytes, Snapshot(restored));
        Assert.Equal(new JobId(6), Submit(restored, 0, 0));
    }

    [Fact]
    public void ARestoredStateGoesOnAcceptingCommands()
    {
        var original = Busy();
        var restored = new JobsState();
        restored.Restore(new MemoryStream(Snapshot(original)));
        var running = new JobId(2);
        foreach (var state in new[] { original, restored })
        {
            Assert.True(Succeed(state, Start(state, Map(running, 1), 6)).Ok);
            Assert.True(Succeed(state, new AttemptId(Reduce(running, 1), 1)).Ok);
        }
        Assert.Equal(Dump(original), Dump(restored));
    }

    [Fact]
    public void AnEmptyStateRoundTrips()
    {
        var restored = Busy();
        restored.Restore(new MemoryStream(Snapshot(new JobsState())));
        Assert.Equal(Dump(new JobsState()), Dump(restored));
    }

    [Fact]
    public void AMalformedSnapshotIsAFormatExceptionAndChangesNothing()
    {
        var bytes = Snapshot(Busy());
        var target = new JobsState();
        Submit(target, 3, 1);
        string before = Dump(target);
        for (int length = 0; length < bytes.Length; length++)
        {
            Assert.Throws<FormatException>(() => target.Restore(new MemoryStream(bytes, 0, length)));
        }
        var trailing = bytes.Append((byte)0).ToArray();
        Assert.Throws<FormatException>(() => target.Restore(new MemoryStream(trailing)));
        var badVersion = (byte[])bytes.Clone();
        badVersion[0] = 2;
        Assert.Throws<FormatException>(() => target.Restore(new MemoryStream(badVersion)));
        Assert.Equal(before, Dump(target));
    }

    [Fact]
    public void CorruptedSnapshotsNeverThrowAnythingButFormatException()
    {
        var bytes = Snapshot(Busy());
        var random = new Random(7);
        for (int round = 0; round < 500; round++)
        {
            var corrupt = (byte[])bytes.Clone();
            corrupt[random.Next(corrupt.Length)] ^= (byte)(1 + random.Next(255));
            var target = new JobsState();
            try
            {
                target.Restore(new MemoryStream(corrupt));
            }
            catch (FormatException)
            {
            }
        }
    }

    [Fact]
    public void TheModuleAppliesDecodedCommandsAndReportsThem()
    {
        var module = new JobsModule();
        Assert.Equal(ModuleId.Jobs, module.Id);
        var seen = new List<(JobsCommand Command, JobsResult Result)>();
        module.Applied += (_, command, result) => seen.Add((command, result));
        var submit = new JobsCommand.Submit(Spec(), [Split(0, 1)], 5);
        module.Apply(new CommandContext(), JobsCommandCodec.Encode(submit));

        Assert.Equal(submit, Assert.Single(seen).Command);
        Assert.Equal(new JobId(1), seen[0].Result.Job);
        Assert.Single(module.State.Jobs);
        Assert.Throws<FormatException>(() => module.Apply(new CommandContext(), new byte[] { 1, 99 }));

        using var stream = new MemoryStream();
        module.WriteSnapshot(stream);
        var copy = new JobsModule();
        copy.Restore(new MemoryStream(stream.ToArray()));
        Assert.Equal(Dump(module.State), Dump(copy.State));
    }
}
