using Colony.Consensus;
using Colony.Core;
using Colony.Simulation.Scheduling;

namespace Colony.Simulation.Network;

/// <summary>
/// Carries messages between the nodes with a one-way delay, and with loss, duplication, reordering
/// and partitions (symmetric or one-way, link by link). Each directed link is first-in first-out, as a
/// connection is, except for the messages picked for reordering, which take a delay of their own and
/// may overtake others. A cut link drops messages at send and at delivery, so a partition also catches
/// what was in flight.
/// </summary>
internal sealed class SimNetwork
{
    private readonly EventQueue _queue;
    private readonly IRandomSource _random;
    private readonly Action<Message> _deliver;
    private readonly Action<NodeId, NodeId> _unreachable;
    private readonly bool[,] _cut;
    private readonly long[,] _lastDelivery;

    public SimNetwork(int nodes, EventQueue queue, IRandomSource random, Action<Message> deliver, Action<NodeId, NodeId> unreachable)
    {
        _queue = queue;
        _random = random;
        _deliver = deliver;
        _unreachable = unreachable;
        _cut = new bool[nodes + 1, nodes + 1];
        _lastDelivery = new long[nodes + 1, nodes + 1];
    }

    public long MinDelayMicros { get; set; }

    public long MaxDelayMicros { get; set; }

    public double LossProbability { get; set; }

    public double DuplicateProbability { get; set; }

    public double ReorderProbability { get; set; }

    public long Sent { get; private set; }

    /// <summary>Durable notices sent (coverage of the follower-commit path).</summary>
    public long DurableNoticesSent { get; private set; }

    public long Dropped { get; private set; }

    public bool IsCut(NodeId from, NodeId to) => _cut[from.Value, to.Value];

    public bool AnyCut
    {
        get
        {
            foreach (bool cut in _cut)
            {
                if (cut)
                {
                    return true;
                }
            }
            return false;
        }
    }

    public void Cut(NodeId from, NodeId to) => _cut[from.Value, to.Value] = true;

    public void Restore(NodeId from, NodeId to) => _cut[from.Value, to.Value] = false;

    public void HealAll() => Array.Clear(_cut);

    public void Send(Message message)
    {
        Sent++;
        if (message.Type == MessageType.Durable)
        {
            DurableNoticesSent++;
        }
        if (IsCut(message.From, message.To))
        {
            Dropped++;
            // The sender's transport notices the broken connection, a little later.
            if (_random.Next(4) == 0)
            {
                _queue.After(MaxDelayMicros, () => _unreachable(message.From, message.To));
            }
            return;
        }
        if (_random.NextDouble() < LossProbability)
        {
            Dropped++;
            return;
        }
        Schedule(message);
        // A forwarded proposal is a request on a connection, delivered at most once: Raft would
        // append a duplicate as a second write, which no client made.
        if (message.Type != MessageType.Propose && _random.NextDouble() < DuplicateProbability)
        {
            Schedule(message);
        }
    }

    /// <summary>A one-way delay drawn from the configured range (for client traffic too).</summary>
    public long SampleDelay()
    {
        long span = MaxDelayMicros - MinDelayMicros;
        return MinDelayMicros + (span > 0 ? (long)(_random.NextDouble() * span) : 0);
    }

    private void Schedule(Message message)
    {
        long at = _queue.Now + SampleDelay();
        if (_random.NextDouble() < ReorderProbability)
        {
            // Out of band: may overtake, and be overtaken by, anything on the link.
            at += (long)(_random.NextDouble() * 2 * MaxDelayMicros);
        }
        else
        {
            ref long last = ref _lastDelivery[message.From.Value, message.To.Value];
            at = Math.Max(at, last);
            last = at;
        }
        _queue.At(at, () =>
        {
            if (IsCut(message.From, message.To))
            {
                Dropped++;
                return;
            }
            _deliver(message);
        });
    }
}
