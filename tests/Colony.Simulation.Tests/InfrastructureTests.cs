using Colony.Consensus;
using Colony.Core;
using Colony.Simulation.Network;
using Colony.Simulation.Scheduling;
using Colony.Simulation.Storage;

namespace Colony.Simulation.Tests;

public class EventQueueTests
{
    [Fact]
    public void Events_run_in_time_order_and_ties_in_scheduling_order()
    {
        var queue = new EventQueue();
        var order = new List<string>();
        queue.At(20, () => order.Add("b"));
        queue.At(10, () => order.Add("a"));
        queue.At(20, () => order.Add("c"));
        queue.At(10, () => queue.After(5, () => order.Add("a+5")));
        queue.At(40, () => order.Add("late"));
        Assert.True(queue.RunUntil(30));
        Assert.Equal(["a", "a+5", "b", "c"], order);
        Assert.Equal(30, queue.Now);
        Assert.Equal(1, queue.Pending);
        Assert.Throws<ArgumentOutOfRangeException>(() => queue.At(29, () => { }));
    }

    [Fact]
    public void A_stop_condition_ends_the_run_early()
    {
        var queue = new EventQueue();
        int ran = 0;
        for (int i = 1; i <= 5; i++)
        {
            queue.At(i, () => ran++);
        }
        Assert.False(queue.RunUntil(10, () => ran == 2));
        Assert.Equal(2, ran);
        Assert.Equal(2, queue.Now);
    }
}

public class InMemoryDiskTests
{
    [Fact]
    public void A_crash_keeps_synced_writes_and_at_most_a_prefix_of_the_rest()
    {
        for (ulong seed = 0; seed < 20; seed++)
        {
            var disk = new InMemoryDisk(tornWrites: true);
            var store = disk.Open();
            store.Load();
            store.Append([Entry(1, 1), Entry(1, 2)]);
            store.SetHardState(new HardState(1, 1, 2));
            store.Sync();
            store.Append([Entry(1, 3), Entry(1, 4), Entry(1, 5)]);
            store.SetHardState(new HardState(2, 2, 4));
            disk.Crash(new SeededRandom(seed));

            var state = disk.Open().Load();
            Assert.True(state.Entries.Count is >= 2 and <= 5);
            Assert.Equal(Enumerable.Range(1, state.Entries.Count).Select(i => (ulong)i), state.Entries.Select(e => e.Index));
            Assert.True(state.HardState == new HardState(1, 1, 2) || (state.HardState == new HardState(2, 2, 4) && state.Entries.Count == 5));
        }
    }

    [Fact]
    public void A_store_from_before_a_crash_is_dead_and_misuse_is_refused()
    {
        var disk = new InMemoryDisk(tornWrites: false);
        var store = disk.Open();
        store.Load();
        Assert.Throws<InvariantViolationException>(() => store.Append([Entry(1, 2)]));
        disk.Crash(new SeededRandom(1));
        Assert.Throws<InvariantViolationException>(() => store.Sync());
    }

    [Fact]
    public void Installing_a_snapshot_discards_the_log()
    {
        var disk = new InMemoryDisk(tornWrites: false);
        var store = disk.Open();
        store.Load();
        store.Append([Entry(1, 1), Entry(1, 2)]);
        store.InstallSnapshot(new Snapshot(new SnapshotMetadata(10, 2, Membership.OfVoters(1)), new byte[] { 1 }));
        store.Append([Entry(2, 11)]);
        store.Sync();
        var state = disk.Open().Load();
        Assert.Equal(10UL, state.Snapshot.Metadata.Index);
        Assert.Equal([11UL], state.Entries.Select(e => e.Index));
    }

    private static Entry Entry(ulong term, ulong index) => new(term, index, EntryType.Normal, new byte[] { (byte)index });
}

public class SimNetworkTests
{
    [Fact]
    public void A_cut_link_drops_one_way_only_and_healing_restores_it()
    {
        var queue = new EventQueue();
        var delivered = new List<string>();
        var network = new SimNetwork(3, queue, new SeededRandom(1), m => delivered.Add($"{m.From}>{m.To}"), (_, _) => { })
        {
            MinDelayMicros = 10,
            MaxDelayMicros = 20,
        };
        network.Cut(1, 2);
        network.Send(Message(1, 2));
        network.Send(Message(2, 1));
        queue.RunUntil(100);
        Assert.Equal(["2>1"], delivered);

        network.HealAll();
        network.Send(Message(1, 2));
        queue.RunUntil(200);
        Assert.Equal(["2>1", "1>2"], delivered);
    }

    [Fact]
    public void A_partition_also_drops_what_was_in_flight()
    {
        var queue = new EventQueue();
        int delivered = 0;
        var network = new SimNetwork(2, queue, new SeededRandom(1), _ => delivered++, (_, _) => { })
        {
            MinDelayMicros = 10,
            MaxDelayMicros = 10,
        };
        network.Send(Message(1, 2));
        network.Cut(1, 2);
        queue.RunUntil(100);
        Assert.Equal(0, delivered);
        Assert.Equal(1, network.Dropped);
    }

    [Fact]
    public void A_link_delivers_in_order_unless_a_message_is_picked_for_reordering()
    {
        var inOrder = Deliveries(reorder: 0);
        Assert.Equal(inOrder.OrderBy(i => i), inOrder);
        var shuffled = Deliveries(reorder: 1);
        Assert.NotEqual(shuffled.OrderBy(i => i), shuffled);
        Assert.Equal(Enumerable.Range(0, 50), shuffled.OrderBy(i => i));
    }

    private static List<int> Deliveries(double reorder)
    {
        var queue = new EventQueue();
        var delivered = new List<int>();
        var network = new SimNetwork(2, queue, new SeededRandom(3), m => delivered.Add((int)m.Index), (_, _) => { })
        {
            MinDelayMicros = 10,
            MaxDelayMicros = 1000,
            ReorderProbability = reorder,
        };
        for (int i = 0; i < 50; i++)
        {
            network.Send(new Message { Type = MessageType.Append, From = 1, To = 2, Term = 1, Index = (ulong)i });
            queue.RunUntil(queue.Now + 5);
        }
        queue.RunUntil(100_000);
        return delivered;
    }

    private static Message Message(ulong from, ulong to) => new() { Type = MessageType.Heartbeat, From = from, To = to, Term = 1 };
}
