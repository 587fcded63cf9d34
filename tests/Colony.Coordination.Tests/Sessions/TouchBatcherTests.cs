using Colony.Coordination.Sessions;

namespace Colony.Coordination.Tests.Sessions;

public sealed class TouchBatcherTests
{
    private readonly TouchBatcher _batcher = new();

    [Fact]
    public void A_drain_returns_each_touched_session_once_ascending()
    {
        foreach (long id in new long[] { 5, 3, 5, -1, 3, 3, 9 })
        {
            _batcher.Touch(id);
        }

        Assert.Equal(4, _batcher.Count);
        Assert.Equal([-1L, 3, 5, 9], _batcher.Drain().ToArray());
    }

    [Fact]
    public void A_drain_starts_a_new_batch()
    {
        _batcher.Touch(1);
        _batcher.Touch(2);
        _batcher.Drain();

        Assert.Equal(0, _batcher.Count);
        Assert.True(_batcher.Drain().IsEmpty);

        _batcher.Touch(2);
        Assert.Equal([2L], _batcher.Drain().ToArray());
    }

    [Fact]
    public void A_drained_batch_survives_later_touches()
    {
        _batcher.Touch(1);
        _batcher.Touch(2);
        var drained = _batcher.Drain();

        _batcher.Touch(3);
        _batcher.Touch(1);

        Assert.Equal([1L, 2], drained.ToArray());
        Assert.Equal([1L, 3], _batcher.Drain().ToArray());
    }

    [Fact]
    public void Steady_batches_allocate_nothing()
    {
        for (int round = 0; round < 3; round++)
        {
            Batch();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        int drained = 0;
        for (int round = 0; round < 100; round++)
        {
            drained += Batch();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(100 * 50, drained);

        int Batch()
        {
            for (int id = 0; id < 200; id++)
            {
                _batcher.Touch(id % 50);
            }

            return _batcher.Drain().Length;
        }
    }
}
