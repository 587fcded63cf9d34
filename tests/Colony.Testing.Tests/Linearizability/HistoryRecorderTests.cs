using Colony.Testing.Linearizability;

namespace Colony.Testing.Tests.Linearizability;

public class HistoryRecorderTests
{
    [Fact]
    public void Completed_operations_keep_their_output_and_open_ones_become_pending()
    {
        var recorder = new HistoryRecorder<KeyValueInput, string?>();
        int put = recorder.Invoke(1, KeyValueInput.Put("x", "1"), 0);
        int lost = recorder.Invoke(2, KeyValueInput.Put("x", "2"), 1);
        int get = recorder.Invoke(3, KeyValueInput.Get("x"), 2);
        int refused = recorder.Invoke(4, KeyValueInput.Put("x", "3"), 3);
        recorder.Complete(put, null, 5);
        recorder.Complete(get, "1", 6);
        recorder.Discard(refused);

        var history = recorder.ToHistory();
        Assert.Equal(3, history.Count);
        Assert.Equal(5, history[0].ReturnTime);
        Assert.True(history[1].IsPending);
        Assert.Equal("1", history[2].Output);
        Assert.True(LinearizabilityChecker.Check(KeyValueModel.Instance, history).IsOk);
        Assert.Equal(4, recorder.Count);
        _ = lost;
    }

    [Fact]
    public void An_operation_completes_once()
    {
        var recorder = new HistoryRecorder<KeyValueInput, string?>();
        int op = recorder.Invoke(1, KeyValueInput.Get("x"), 0);
        recorder.Complete(op, null, 1);
        Assert.Throws<InvalidOperationException>(() => recorder.Complete(op, null, 2));
        Assert.Throws<InvalidOperationException>(() => recorder.Discard(op));
        Assert.Throws<ArgumentOutOfRangeException>(() => recorder.Complete(5, null, 2));
    }

    [Fact]
    public void A_reply_before_the_call_is_refused()
    {
        var recorder = new HistoryRecorder<KeyValueInput, string?>();
        int op = recorder.Invoke(1, KeyValueInput.Get("x"), 10);
        Assert.Throws<ArgumentException>(() => recorder.Complete(op, null, 9));
    }
}
