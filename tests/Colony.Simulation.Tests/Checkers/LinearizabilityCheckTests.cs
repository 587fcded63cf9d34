using Colony.Simulation.Checkers;
using Colony.Simulation.Workload;

namespace Colony.Simulation.Tests.Checkers;

public class LinearizabilityCheckTests
{
    private readonly History _history = new();

    [Fact]
    public void A_stale_read_after_a_completed_write_is_a_violation()
    {
        Write(client: 1, "k", "v1", call: 0, ret: 10);
        Write(client: 1, "k", "v2", call: 20, ret: 30);
        Read(client: 2, "k", "v1", call: 40, ret: 50);
        var verdict = LinearizabilityCheck.Check(_history.Operations, now: 60);
        Assert.Equal(ViolationKind.Linearizability, verdict.Violation?.Kind);
        Assert.NotNull(verdict.Violation!.Report);
    }

    [Fact]
    public void Concurrent_operations_in_some_valid_order_are_fine()
    {
        Write(client: 1, "k", "v1", call: 0, ret: 30);
        Read(client: 2, "k", null, call: 5, ret: 10);
        Read(client: 3, "k", "v1", call: 20, ret: 25);
        Read(client: 2, "k", "v1", call: 40, ret: 50);
        Read(client: 3, "j", null, call: 40, ret: 50);
        var verdict = LinearizabilityCheck.Check(_history.Operations, now: 60);
        Assert.Null(verdict.Violation);
        Assert.False(verdict.Undecided);
    }

    [Fact]
    public void A_pending_write_may_take_effect_late_and_a_failed_one_never()
    {
        var pending = _history.Begin(1, OperationKind.Write, "k", "late", 0);
        pending.Index = 5;
        pending.Status = OperationStatus.Pending;
        var failed = _history.Begin(3, OperationKind.Write, "k", "never", 0);
        failed.Status = OperationStatus.Failed;
        Read(client: 2, "k", null, call: 10, ret: 20);
        Read(client: 2, "k", "late", call: 100, ret: 110);
        Assert.Null(LinearizabilityCheck.Check(_history.Operations, now: 120).Violation);

        Read(client: 2, "k", "never", call: 200, ret: 210);
        Assert.Equal(ViolationKind.Linearizability, LinearizabilityCheck.Check(_history.Operations, now: 220).Violation?.Kind);
    }

    private void Write(int client, string key, string value, long call, long ret)
    {
        var operation = _history.Begin(client, OperationKind.Write, key, value, call);
        operation.Index = 1;
        operation.Status = OperationStatus.Ok;
        operation.Return = ret;
    }

    private void Read(int client, string key, string? value, long call, long ret)
    {
        var operation = _history.Begin(client, OperationKind.Read, key, null, call);
        operation.Value = value;
        operation.Status = OperationStatus.Ok;
        operation.Return = ret;
    }
}
