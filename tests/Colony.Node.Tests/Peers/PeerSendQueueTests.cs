using Colony.Consensus;
using Colony.Node.Peers;

namespace Colony.Node.Tests.Peers;

public class PeerSendQueueTests
{
    private static Message Numbered(ulong n) => TestPeers.Heartbeat(1, 2, term: n);

    private static List<ulong> Drain(PeerSendQueue queue)
    {
        var batch = new List<Message>();
        queue.DequeueInto(batch, long.MaxValue);
        return [.. batch.Select(message => message.Term)];
    }

    [Fact]
    public void A_full_queue_drops_the_oldest_by_default()
    {
        var queue = new PeerSendQueue(3, 1 << 20, PeerQueueFullMode.DropOldest);
        for (ulong n = 1; n <= 5; n++)
        {
            Assert.True(queue.Enqueue(Numbered(n), 10));
        }
        Assert.Equal(3, queue.Count);
        Assert.Equal(2, queue.Dropped);
        Assert.Equal([3UL, 4, 5], Drain(queue));
    }

    [Fact]
    public void A_full_queue_can_drop_the_newest_instead()
    {
        var queue = new PeerSendQueue(3, 1 << 20, PeerQueueFullMode.DropNewest);
        for (ulong n = 1; n <= 5; n++)
        {
            Assert.Equal(n <= 3, queue.Enqueue(Numbered(n), 10));
        }
        Assert.Equal(2, queue.Dropped);
        Assert.Equal([1UL, 2, 3], Drain(queue));
    }

    [Fact]
    public void Bytes_are_bounded_as_well_as_messages()
    {
        var queue = new PeerSendQueue(100, 1000, PeerQueueFullMode.DropOldest);
        for (ulong n = 1; n <= 10; n++)
        {
            queue.Enqueue(Numbered(n), 300);
            Assert.True(queue.Bytes <= 1000);
        }
        Assert.Equal(900, queue.Bytes);
        Assert.Equal([8UL, 9, 10], Drain(queue));
        Assert.Equal(0, queue.Bytes);
    }

    [Fact]
    public void A_closed_queue_drops_what_it_holds_and_everything_sent_to_it()
    {
        var queue = new PeerSendQueue(10, 1 << 20, PeerQueueFullMode.DropOldest);
        queue.Enqueue(Numbered(1), 10);
        queue.Enqueue(Numbered(2), 10);
        queue.SetOpen(false);
        Assert.Equal(0, queue.Count);
        Assert.False(queue.Enqueue(Numbered(3), 10));
        Assert.Equal(3, queue.Dropped);
        queue.SetOpen(true);
        Assert.True(queue.Enqueue(Numbered(4), 10));
        Assert.Equal([4UL], Drain(queue));
    }

    [Fact]
    public void A_batch_stops_once_it_reaches_its_byte_budget()
    {
        var queue = new PeerSendQueue(100, 1 << 20, PeerQueueFullMode.DropOldest);
        for (ulong n = 1; n <= 10; n++)
        {
            queue.Enqueue(Numbered(n), 100);
        }
        var batch = new List<Message>();
        Assert.Equal(300, queue.DequeueInto(batch, 250));
        Assert.Equal([1UL, 2, 3], batch.Select(message => message.Term));
        Assert.Equal((7, 700L), (queue.Count, queue.Bytes));
        Assert.Equal(0, new PeerSendQueue(1, 1, PeerQueueFullMode.DropOldest).DequeueInto(batch, 250));
    }
}
