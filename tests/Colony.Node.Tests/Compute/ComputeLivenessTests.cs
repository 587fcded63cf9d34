using Colony.Compute.Jobs;
using Colony.Compute.Scheduling;
using Colony.Core;
using Colony.Node.Compute;
using TaskScheduler = Colony.Compute.Scheduling.TaskScheduler;

namespace Colony.Node.Tests.Compute;

/// <summary>The tracker's deadlines against steps of the leader's wall clock, as the <c>ClockJump</c> nemesis makes them.</summary>
public sealed class ComputeLivenessTests
{
    private const long WorkerTimeoutMs = 10_000;
    private static readonly SchedulerOptions Options = new() { ProgressTimeoutMs = 60_000 };
    private readonly SteppedClock _clock = new();
    private readonly ComputeLiveness _liveness;
    private readonly JobsState _state = new();

    public ComputeLivenessTests()
    {
        _liveness = new ComputeLiveness(_clock, WorkerTimeoutMs);
        _liveness.StartLeading();
    }

    public static TheoryData<int> Steps => [120, -120, 86_400];

    [Theory]
    [MemberData(nameof(Steps))]
    public void A_step_of_the_wall_clock_does_not_lose_a_worker_that_beats(int stepSeconds)
    {
        _liveness.Beat(2);
        _clock.Pass(TimeSpan.FromSeconds(1));
        _clock.Step(TimeSpan.FromSeconds(stepSeconds));
        _clock.Pass(TimeSpan.FromSeconds(1));

        Assert.Empty(_liveness.Silent());
        Assert.False(_liveness.ListenedLongEnough); // this leader took over 2 s ago, whatever the wall clock says
    }

    [Theory]
    [MemberData(nameof(Steps))]
    public void A_step_of_the_wall_clock_does_not_keep_a_silent_worker_alive(int stepSeconds)
    {
        _clock.Step(TimeSpan.FromSeconds(stepSeconds));
        _liveness.Beat(2);
        _liveness.Beat(3);
        _clock.Step(TimeSpan.FromSeconds(-stepSeconds)); // set right again: the heal of the step
        _clock.Pass(TimeSpan.FromSeconds(5));
        _liveness.Beat(3);
        _clock.Pass(TimeSpan.FromMilliseconds(WorkerTimeoutMs - 5_000 + 1));

        Assert.Equal([new NodeId(2)], _liveness.Silent());
        Assert.True(_liveness.ListenedLongEnough);
    }

    [Theory]
    [MemberData(nameof(Steps))]
    public void A_step_of_the_wall_clock_neither_fails_a_running_attempt_as_hung_nor_hides_a_hung_one(int stepSeconds)
    {
        var attempt = StartMap(stampedAt: Wall());
        _liveness.Launched(attempt);
        _clock.Pass(TimeSpan.FromSeconds(1));
        _clock.Step(TimeSpan.FromSeconds(stepSeconds));
        _clock.Pass(TimeSpan.FromSeconds(1));

        Assert.Empty(Hung([attempt]));
        _clock.Pass(TimeSpan.FromMilliseconds(Options.ProgressTimeoutMs - 2_000));
        Assert.Equal([attempt], Hung([attempt]));
    }

    [Fact]
    public void Only_forward_progress_keeps_an_attempt_from_being_hung()
    {
        var attempt = StartMap(stampedAt: Wall());
        _liveness.Launched(attempt);
        _clock.Pass(TimeSpan.FromSeconds(30));
        _liveness.Progressed(attempt, 0.5);
        _clock.Pass(TimeSpan.FromSeconds(59));
        _liveness.Progressed(attempt, 0.5); // the same fraction again: not a sign of life

        Assert.Empty(Hung([attempt]));
        _clock.Pass(TimeSpan.FromSeconds(1));
        Assert.Equal([attempt], Hung([attempt]));
        Assert.Equal(0.5, _liveness.ProgressOf(attempt));
    }

    [Fact]
    public void An_attempt_an_earlier_leader_started_is_timed_from_this_leaders_start()
    {
        // Stamped by the old leader ten minutes before this one took over (or by a clock that far ahead).
        var attempt = StartMap(stampedAt: Wall() - 600_000);
        _clock.Pass(TimeSpan.FromSeconds(59));

        Assert.Empty(Hung([attempt]));
        _clock.Pass(TimeSpan.FromSeconds(1));
        Assert.Equal([attempt], Hung([attempt]));
    }

    [Fact]
    public void A_reduce_waiting_for_maps_is_not_hung_until_the_timeout_after_they_are_done()
    {
        var reduce = StartAttempt(TaskKind.Reduce, stampedAt: Wall());
        _liveness.Launched(reduce);
        _clock.Pass(TimeSpan.FromMinutes(5));
        Assert.Empty(Hung([reduce], waiting: [reduce]));

        _clock.Pass(TimeSpan.FromSeconds(59)); // the last map was done at the previous round
        Assert.Empty(Hung([reduce]));
        _clock.Pass(TimeSpan.FromSeconds(1));
        Assert.Equal([reduce], Hung([reduce]));
    }

    [Fact]
    public void Attempts_that_stopped_running_are_forgotten_as_is_everything_when_the_lead_is_lost()
    {
        var ended = StartMap(stampedAt: Wall());
        var running = StartMap(stampedAt: Wall());
        _liveness.Launched(ended);
        _liveness.Launched(running);
        _liveness.Progressed(ended, 0.4);
        _liveness.Progressed(running, 0.7);
        _liveness.Beat(2);

        _liveness.Time([running], new HashSet<AttemptId>());
        Assert.Equal(0.0, _liveness.ProgressOf(ended));
        Assert.Equal(0.7, _liveness.ProgressOf(running));
        Assert.Equal([running], _liveness.Snapshot().Keys);

        _liveness.Forget();
        Assert.False(_liveness.Leading);
        Assert.Equal(-1, _liveness.LastBeat(2));
        Assert.Empty(_liveness.Snapshot());
    }

    private long Wall() => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    private IReadOnlyList<AttemptId> Hung(AttemptId[] running, AttemptId[]? waiting = null) =>
        TaskScheduler.FindHung(_state, _liveness.Time(running, (waiting ?? []).ToHashSet()), _liveness.Now, Options);

    private AttemptId StartMap(long stampedAt) => StartAttempt(TaskKind.Map, stampedAt);

    private AttemptId StartAttempt(TaskKind kind, long stampedAt)
    {
        var spec = new JobSpec("wordcount", "ann", 0, ["/in"], "/out", 1, new Dictionary<string, string>());
        var submitted = _state.Apply(new JobsCommand.Submit(spec, [new InputSplit("/in/a", 0, 128, [])], stampedAt));
        Assert.True(submitted.Ok, submitted.ToString());
        var task = new TaskId(submitted.Job!.Value, kind, 0);
        var started = _state.Apply(new JobsCommand.StartAttempt(task, 2, Locality.Remote, false, stampedAt));
        Assert.True(started.Ok, started.ToString());
        return started.Attempt!.Value;
    }

    /// <summary>A clock whose wall time can be stepped apart from its monotonic timestamp, as NTP steps a system clock.</summary>
    private sealed class SteppedClock : TimeProvider
    {
        private DateTimeOffset _wall = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        private long _timestamp = 5_000_000_000;

        public override long TimestampFrequency => 1_000_000_000;

        public override DateTimeOffset GetUtcNow() => _wall;

        public override long GetTimestamp() => _timestamp;

        /// <summary>Real time passes: both clocks move.</summary>
        public void Pass(TimeSpan time)
        {
            _wall += time;
            _timestamp += time.Ticks * 100;
        }

        /// <summary>A step: the wall clock only.</summary>
        public void Step(TimeSpan by) => _wall += by;
    }
}
