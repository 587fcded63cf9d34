using Colony.FaultTests.Nemeses;

namespace Colony.FaultTests;

public sealed class NemesisScheduleTests
{
    private static readonly ScheduleOptions FiveNodes = new() { NodeCount = 5, Length = TimeSpan.FromMinutes(2) };

    [Fact]
    public void The_same_seed_gives_the_same_schedule_and_another_seed_another()
    {
        var first = NemesisSchedule.Generate(42, FiveNodes).Select(s => s.ToString()).ToList();
        var again = NemesisSchedule.Generate(42, FiveNodes).Select(s => s.ToString()).ToList();
        var other = NemesisSchedule.Generate(43, FiveNodes).Select(s => s.ToString()).ToList();
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void Seed_1_gives_the_frozen_schedule()
    {
        // Pinned so that a seed printed by an old run replays the same faults, given the six kinds it drew from.
        var steps = NemesisSchedule.Generate(1, FiveNodes with { Length = TimeSpan.FromSeconds(40), Kinds = NemesisKinds.Classic });
        Assert.Equal(
            [
                "#1 at   3.7 s for  6.8 s: IsolateLeader    isolate the leader",
                "#2 at  16.4 s for  7.9 s: IsolateLeader    isolate the leader",
                "#3 at  29.3 s for  5.7 s: RandomHalves     1x2 1x3 1x5 2x4 3x4 4x5",
            ],
            steps.Select(s => s.ToString()).ToList());
    }

    [Fact]
    public void Seed_1_gives_the_frozen_schedule_with_the_network_kinds()
    {
        var steps = NemesisSchedule.Generate(1, FiveNodes with { Length = TimeSpan.FromSeconds(60) });
        Assert.Equal(
            [
                "#1 at   3.7 s for  6.8 s: IsolateLeader    isolate the leader",
                "#2 at  16.4 s for  7.9 s: IsolateLeader    isolate the leader",
                "#3 at  29.3 s for  6.0 s: Pause            SIGSTOP node 4, SIGCONT at heal",
                "#4 at  38.6 s for  6.3 s: MajorityMinority 1x4 2x4 3x4 4x5",
                "#5 at  50.3 s for  7.3 s: SlowNetwork      node(s) 1,3,4 capped at 898 kbit/s each way, queueing up to 118 ms, until the heal",
            ],
            steps.Select(s => s.ToString()).ToList());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(2024)]
    public void Faults_never_overlap_and_end_within_the_length(int seed)
    {
        var steps = NemesisSchedule.Generate(seed, FiveNodes);
        Assert.NotEmpty(steps);
        for (int i = 1; i < steps.Count; i++)
        {
            Assert.True(steps[i].Start >= steps[i - 1].End + FiveNodes.MinHealed, $"step {steps[i]} starts before {steps[i - 1]} is healed");
        }
        Assert.True(steps[^1].End <= FiveNodes.Length);
        Assert.Equal(Enumerable.Range(1, steps.Count), steps.Select(s => s.Index));
    }

    [Fact]
    public void Over_a_few_seeds_every_kind_appears_and_each_keeps_a_quorum_somewhere()
    {
        var steps = Enumerable.Range(0, 20).SelectMany(seed => NemesisSchedule.Generate(seed, FiveNodes)).ToList();
        Assert.Equal(NemesisKinds.Standard.Order(), steps.Select(s => s.Kind).Distinct().Order());
        foreach (var step in steps)
        {
            switch (step.Kind)
            {
                case NemesisKind.Kill:
                    Assert.InRange(step.Targets.Count, 1, 2);
                    break;
                case NemesisKind.Pause:
                    Assert.Single(step.Targets);
                    Assert.True(step.Duration >= FiveNodes.MinPause, $"{step} is shorter than a session");
                    break;
                case NemesisKind.MajorityMinority:
                    Assert.Equal(4, step.Cuts.Pairs.Count);
                    Assert.Equal(4, step.Cuts.CutFrom(step.Targets[0]).Count());
                    break;
                case NemesisKind.RandomHalves:
                    // 2 against 3: every pair across the halves is cut, none within.
                    Assert.Equal(6, step.Cuts.Pairs.Count);
                    break;
                case NemesisKind.Bridge:
                    Assert.Empty(step.Cuts.CutFrom(step.Targets[0]));
                    Assert.Equal(4, step.Cuts.Pairs.Count);
                    break;
                case NemesisKind.IsolateLeader:
                    Assert.True(step.Cuts.IsEmpty);
                    break;
                case NemesisKind.Lossy or NemesisKind.SlowNetwork:
                    Assert.InRange(step.Targets.Count, 1, 3);
                    Assert.True(step.Cuts.IsEmpty);
                    Assert.NotNull(step.Link);
                    break;
            }
            if (!NemesisKinds.ShapesLinks(step.Kind))
            {
                Assert.Null(step.Link);
            }
        }
    }

    [Fact]
    public void A_bridge_reaches_both_halves_which_cannot_reach_each_other()
    {
        var cuts = Cuts.Bridged([4, 2, 3, 1, 5], bridge: 3);
        Assert.Empty(cuts.CutFrom(3));
        Assert.True(cuts.Separates(4, 1));
        Assert.True(cuts.Separates(5, 2));
        Assert.False(cuts.Separates(4, 2));
        Assert.False(cuts.Separates(1, 5));
        Assert.Equal("1x2 1x4 2x5 4x5", cuts.ToString());
    }

    [Fact]
    public void Isolating_a_node_cuts_it_from_every_other_and_nothing_else()
    {
        var cuts = Cuts.Isolate(2, 4);
        Assert.Equal([1, 3, 4], cuts.CutFrom(2).Order());
        Assert.False(cuts.Separates(1, 3));
        Assert.Equal("1x2 2x3 2x4", cuts.ToString());
    }

    [Fact]
    public void A_full_disk_is_drawn_only_when_asked_for_and_fills_one_node()
    {
        Assert.DoesNotContain(NemesisKind.FullDisk, Enumerable.Range(0, 20).SelectMany(seed => NemesisSchedule.Generate(seed, FiveNodes)).Select(s => s.Kind));
        var steps = NemesisSchedule.Generate(3, FiveNodes with { Kinds = [NemesisKind.FullDisk] });
        Assert.NotEmpty(steps);
        Assert.All(steps, s => Assert.Single(s.Targets));
        Assert.All(steps, s => Assert.True(s.Cuts.IsEmpty));
    }

    [Fact]
    public void Slow_disks_and_clock_jumps_are_drawn_only_when_asked_for_with_amounts_in_range()
    {
        var standard = Enumerable.Range(0, 20).SelectMany(seed => NemesisSchedule.Generate(seed, FiveNodes)).Select(s => s.Kind).ToList();
        Assert.DoesNotContain(NemesisKind.SlowDisk, standard);
        Assert.DoesNotContain(NemesisKind.ClockJump, standard);

        var steps = Enumerable.Range(0, 10)
            .SelectMany(seed => NemesisSchedule.Generate(seed, FiveNodes with { Kinds = [NemesisKind.SlowDisk, NemesisKind.ClockJump] })).ToList();
        var slow = steps.Where(s => s.Kind == NemesisKind.SlowDisk).ToList();
        var jumps = steps.Where(s => s.Kind == NemesisKind.ClockJump).ToList();
        Assert.NotEmpty(slow);
        Assert.All(slow, s => Assert.InRange(s.Targets.Count, 1, 2));
        Assert.All(slow, s => Assert.InRange(s.Amount, FiveNodes.MinFsyncDelay, FiveNodes.MaxFsyncDelay));
        // A clock jump steps the leader's clock, known only when it runs; forward and back both occur.
        Assert.All(jumps, s => Assert.Empty(s.Targets));
        Assert.All(jumps, s => Assert.InRange(s.Amount.Duration(), FiveNodes.MinClockJump, FiveNodes.MaxClockJump));
        Assert.Contains(jumps, s => s.Amount < TimeSpan.Zero);
        Assert.Contains(jumps, s => s.Amount > TimeSpan.Zero);
        Assert.All(steps, s => Assert.True(s.Cuts.IsEmpty));
    }

    [Fact]
    public void A_slow_disk_and_a_clock_jump_say_what_they_do()
    {
        var slow = new NemesisStep(1, NemesisKind.SlowDisk, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(5), [2, 4], Cuts.None, TimeSpan.FromMilliseconds(120));
        var back = new NemesisStep(2, NemesisKind.ClockJump, TimeSpan.FromSeconds(12), TimeSpan.FromSeconds(6), [], Cuts.None, TimeSpan.FromSeconds(-37.5));
        Assert.Equal("#1 at   4.0 s for  5.0 s: SlowDisk         log and block fsyncs of node(s) 2,4 120 ms slower, until the heal", slow.ToString());
        Assert.Equal("#2 at  12.0 s for  6.0 s: ClockJump        step the leader's wall clock back 37.5 s, set right at heal", back.ToString());
    }

    [Fact]
    public void Lossy_and_slow_links_are_standard_with_amounts_in_range_on_one_to_three_of_five_nodes()
    {
        Assert.Contains(NemesisKind.Lossy, NemesisKinds.Standard);
        Assert.Contains(NemesisKind.SlowNetwork, NemesisKinds.Standard);
        Assert.DoesNotContain(NemesisKind.Lossy, NemesisKinds.Classic);
        var steps = Enumerable.Range(0, 20)
            .SelectMany(seed => NemesisSchedule.Generate(seed, FiveNodes with { Kinds = [NemesisKind.Lossy, NemesisKind.SlowNetwork] })).ToList();
        var lossy = steps.Where(s => s.Kind == NemesisKind.Lossy).ToList();
        var slow = steps.Where(s => s.Kind == NemesisKind.SlowNetwork).ToList();
        Assert.NotEmpty(lossy);
        Assert.NotEmpty(slow);
        Assert.All(lossy, s => Assert.InRange(s.Link!.LossPercent, FiveNodes.MinLossPercent, FiveNodes.MaxLossPercent));
        Assert.All(lossy, s => Assert.Equal(0, s.Link!.RateKbit));
        Assert.All(slow, s => Assert.InRange(s.Link!.RateKbit, FiveNodes.MinRateKbit, FiveNodes.MaxRateKbit));
        Assert.All(slow, s => Assert.InRange(s.Link!.Latency, FiveNodes.MinQueueLatency, FiveNodes.MaxQueueLatency));
        Assert.All(slow, s => Assert.Equal(0, s.Link!.LossPercent));
        // One, two and three nodes all occur: a majority of degraded links, but never all of them.
        Assert.Equal([1, 2, 3], steps.Select(s => s.Targets.Count).Distinct().Order());
        Assert.All(steps, s => Assert.Equal(s.Targets.Order(), s.Targets));
    }

    [Fact]
    public void A_lossy_and_a_slow_link_say_what_they_do()
    {
        var lossy = new NemesisStep(3, NemesisKind.Lossy, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(7), [1, 5], Cuts.None, Link: LinkFault.Loss(17));
        var slow = new NemesisStep(4, NemesisKind.SlowNetwork, TimeSpan.FromSeconds(31), TimeSpan.FromSeconds(4.5), [2], Cuts.None,
            Link: LinkFault.Slow(640, TimeSpan.FromMilliseconds(230)));
        Assert.Equal("#3 at  20.0 s for  7.0 s: Lossy            node(s) 1,5 drop 17% of packets each way, until the heal", lossy.ToString());
        Assert.Equal("#4 at  31.0 s for  4.5 s: SlowNetwork      node(s) 2 capped at 640 kbit/s each way, queueing up to 230 ms, until the heal", slow.ToString());
    }

    [Fact]
    public void A_schedule_of_one_kind_has_only_that_kind()
    {
        var steps = NemesisSchedule.Generate(5, FiveNodes with { Kinds = [NemesisKind.Pause] });
        Assert.All(steps, s => Assert.Equal(NemesisKind.Pause, s.Kind));
    }
}
