using System.Diagnostics;
using Colony.FaultTests.Bed;

namespace Colony.FaultTests.Nemeses;

/// <summary>What the nemesis did in a run, as it happened.</summary>
public sealed class NemesisLog
{
    private readonly List<string> _events = [];
    private readonly List<double> _failovers = [];
    private readonly HashSet<string> _mechanisms = [];
    private readonly Lock _gate = new();

    public IReadOnlyList<string> Events
    {
        get
        {
            lock (_gate)
            {
                return [.. _events];
            }
        }
    }

    /// <summary>Milliseconds from isolating a leader until a majority agreed on another, one per isolation.</summary>
    public IReadOnlyList<double> FailoverMilliseconds
    {
        get
        {
            lock (_gate)
            {
                return [.. _failovers];
            }
        }
    }

    /// <summary>Kinds applied, with how many times.</summary>
    public Dictionary<NemesisKind, int> Applied { get; } = [];

    /// <summary>How each link-degrading kind that ran was made (netem, nftables drops, a tbf cap), one line per kind and mechanism.</summary>
    public IReadOnlyList<string> LinkMechanisms
    {
        get
        {
            lock (_gate)
            {
                return [.. _mechanisms.Order(StringComparer.Ordinal)];
            }
        }
    }

    internal void AddMechanism(NemesisKind kind, LinkPlan plan)
    {
        lock (_gate)
        {
            _mechanisms.Add($"{kind}: {plan.Description}");
        }
    }

    internal void Add(TimeSpan at, string what)
    {
        lock (_gate)
        {
            _events.Add($"{at.TotalSeconds,6:0.0} s  {what}");
        }
    }

    internal void AddFailover(double milliseconds)
    {
        lock (_gate)
        {
            _failovers.Add(milliseconds);
        }
    }
}

/// <summary>
/// Applies a schedule to a bed: each fault at its time, held for its duration, then healed
/// completely (rules dropped, link faults removed and checked gone, killed nodes restarted, paused
/// nodes continued). Whatever happens, the bed is left healed.
/// </summary>
public sealed class NemesisRunner(TestBed bed)
{
    private static readonly TimeSpan FailoverBound = TimeSpan.FromSeconds(20);

    /// <summary>The node whose clock a clock jump stepped, by step, until its heal.</summary>
    private readonly Dictionary<int, int> _jumped = [];

    /// <summary>The link faults in force, by step, until their heal.</summary>
    private readonly Dictionary<int, LinkPlan> _shaped = [];

    public NemesisLog Log { get; } = new();

    public async Task RunAsync(IReadOnlyList<NemesisStep> steps, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            foreach (var step in steps)
            {
                var wait = step.Start - clock.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, cancellationToken); // the schedule's own timing
                }
                var healAt = clock.Elapsed + step.Duration;
                await ApplyAsync(step, clock);
                lock (Log.Applied)
                {
                    Log.Applied[step.Kind] = Log.Applied.GetValueOrDefault(step.Kind) + 1;
                }
                wait = healAt - clock.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, cancellationToken);
                }
                await HealAsync(step, clock);
            }
        }
        finally
        {
            await HealAllAsync();
        }
    }

    private async Task ApplyAsync(NemesisStep step, Stopwatch clock)
    {
        switch (step.Kind)
        {
            case NemesisKind.IsolateLeader:
                await IsolateLeaderAsync(step, clock);
                break;
            case NemesisKind.Kill:
                foreach (var node in step.Targets)
                {
                    bed.Kill(node);
                }
                Log.Add(clock.Elapsed, $"#{step.Index} kill -9 node(s) {string.Join(',', step.Targets)}");
                break;
            case NemesisKind.Pause:
                foreach (var node in step.Targets)
                {
                    bed.Pause(node);
                }
                Log.Add(clock.Elapsed, $"#{step.Index} SIGSTOP node {string.Join(',', step.Targets)}");
                break;
            case NemesisKind.SlowDisk:
                foreach (var node in step.Targets)
                {
                    await bed.SetFaultHooksAsync(node, fsyncDelay: step.Amount);
                }
                Log.Add(clock.Elapsed, $"#{step.Index} node(s) {string.Join(',', step.Targets)}: every fsync {step.Amount.TotalMilliseconds:0} ms slower");
                break;
            case NemesisKind.ClockJump:
                await JumpLeaderClockAsync(step, clock);
                break;
            case NemesisKind.Lossy or NemesisKind.SlowNetwork:
                await ShapeLinksAsync(step, clock);
                break;
            case NemesisKind.FullDisk:
                foreach (var node in step.Targets)
                {
                    long filled = await Task.Run(() => bed.FillDisk(node));
                    Log.Add(clock.Elapsed, $"#{step.Index} node {node}'s disk filled ({filled >> 20} MiB of filler)");
                }
                break;
            default:
                bed.Partition(step.Cuts);
                Log.Add(clock.Elapsed, $"#{step.Index} {step.Kind}: cut {step.Cuts}");
                break;
        }
    }

    private async Task IsolateLeaderAsync(NemesisStep step, Stopwatch clock)
    {
        // A leader every node follows: isolating one that an election is already replacing would time
        // that election, not the failover.
        int leader;
        try
        {
            leader = await bed.WaitForLeaderAsync(FailoverBound, everyone: true);
        }
        catch (TimeoutException)
        {
            Log.Add(clock.Elapsed, $"#{step.Index} IsolateLeader: no leader that every node follows");
            return;
        }
        var rest = bed.Nodes.Where(n => n != leader).ToList();
        // Timed from the moment the leader's own rules are in place: from then on it is alone.
        long isolated = bed.Partition(Cuts.Isolate(leader, bed.Nodes.Count));
        Log.Add(clock.Elapsed, $"#{step.Index} IsolateLeader: node {leader} cut from {string.Join(',', rest)}");
        try
        {
            int next = await bed.WaitForLeaderAsync(FailoverBound, rest, excluding: leader);
            var failover = Stopwatch.GetElapsedTime(isolated);
            Log.AddFailover(failover.TotalMilliseconds);
            Log.Add(clock.Elapsed, $"#{step.Index} node {next} leads the majority after {failover.TotalMilliseconds:0} ms");
        }
        catch (TimeoutException)
        {
            Log.AddFailover(Stopwatch.GetElapsedTime(isolated).TotalMilliseconds);
            Log.Add(clock.Elapsed, $"#{step.Index} NO new leader within {FailoverBound.TotalSeconds:0} s");
        }
    }

    private async Task JumpLeaderClockAsync(NemesisStep step, Stopwatch clock)
    {
        int leader;
        try
        {
            leader = await bed.WaitForLeaderAsync(FailoverBound);
        }
        catch (TimeoutException)
        {
            Log.Add(clock.Elapsed, $"#{step.Index} ClockJump: no agreed leader");
            return;
        }
        await bed.SetFaultHooksAsync(leader, clockOffset: step.Amount);
        _jumped[step.Index] = leader;
        Log.Add(clock.Elapsed, $"#{step.Index} ClockJump: leader {leader}'s wall clock stepped {step.Amount.TotalSeconds:+0.0;-0.0} s");
    }

    private async Task ShapeLinksAsync(NemesisStep step, Stopwatch clock)
    {
        var fault = step.Link ?? throw new InvalidOperationException($"step #{step.Index} ({step.Kind}) says nothing of its links");
        var plan = LinkShaping.Plan(fault, [.. step.Targets.Select(bed.Link)], bed.NetemAvailable);
        // Known before it is applied, so that a fault that fails half-way is healed too.
        _shaped[step.Index] = plan;
        await Task.Run(() => bed.Shape(plan));
        Log.AddMechanism(step.Kind, plan);
        Log.Add(clock.Elapsed, $"#{step.Index} {step.Kind}: node(s) {string.Join(',', step.Targets)} {fault}, by {plan.Description}");
    }

    private async Task HealAsync(NemesisStep step, Stopwatch clock)
    {
        switch (step.Kind)
        {
            case NemesisKind.Lossy or NemesisKind.SlowNetwork:
                if (_shaped.Remove(step.Index, out var plan))
                {
                    await Task.Run(() => bed.Unshape(plan));
                    Log.Add(clock.Elapsed, $"#{step.Index} heal: links of node(s) {string.Join(',', step.Targets)} whole again ({plan.Probes.Count} probes found nothing left)");
                }
                break;
            case NemesisKind.SlowDisk:
                foreach (var node in step.Targets)
                {
                    await bed.SetFaultHooksAsync(node, fsyncDelay: TimeSpan.Zero);
                }
                Log.Add(clock.Elapsed, $"#{step.Index} heal: node(s) {string.Join(',', step.Targets)} fsync at full speed again");
                break;
            case NemesisKind.ClockJump:
                if (_jumped.Remove(step.Index, out int jumped))
                {
                    await bed.SetFaultHooksAsync(jumped, clockOffset: TimeSpan.Zero);
                    Log.Add(clock.Elapsed, $"#{step.Index} heal: node {jumped}'s wall clock set right");
                }
                break;
            case NemesisKind.Kill:
                foreach (var node in step.Targets)
                {
                    bed.Restart(node);
                }
                Log.Add(clock.Elapsed, $"#{step.Index} heal: restart node(s) {string.Join(',', step.Targets)}");
                break;
            case NemesisKind.Pause:
                foreach (var node in step.Targets)
                {
                    bed.Resume(node);
                }
                Log.Add(clock.Elapsed, $"#{step.Index} heal: SIGCONT node {string.Join(',', step.Targets)}");
                break;
            case NemesisKind.FullDisk:
                foreach (var node in step.Targets)
                {
                    bed.EmptyDisk(node);
                    bool stopped = !bed.IsRunning(node);
                    if (stopped)
                    {
                        bed.Restart(node);
                    }
                    Log.Add(clock.Elapsed, $"#{step.Index} heal: node {node}'s filler deleted{(stopped ? "; the full disk had stopped it: restarted" : "; it kept running")}");
                }
                break;
            default:
                bed.HealNetwork();
                Log.Add(clock.Elapsed, $"#{step.Index} heal: network whole again");
                break;
        }
    }

    /// <summary>Undoes every fault, whatever was in force: used when a run ends early.</summary>
    private async Task HealAllAsync()
    {
        foreach (var (index, plan) in _shaped)
        {
            try
            {
                await Task.Run(() => bed.Unshape(plan));
            }
            catch (InvalidOperationException e)
            {
                Log.Add(TimeSpan.Zero, $"heal: #{index}'s link fault could not be removed: {e.Message}");
            }
        }
        _shaped.Clear();
        bed.HealNetwork();
        foreach (var node in bed.Nodes)
        {
            bed.EmptyDisk(node);
            bed.Resume(node);
            if (!bed.IsRunning(node))
            {
                bed.Restart(node);
            }
            else if (bed.HasFaultHooks)
            {
                try
                {
                    await bed.SetFaultHooksAsync(node, TimeSpan.Zero, TimeSpan.Zero);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException)
                {
                    Log.Add(TimeSpan.Zero, $"heal: node {node}'s fault hooks could not be reset: {e.Message}");
                }
            }
        }
    }
}
