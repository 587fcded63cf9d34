using Colony.Simulation.Workload;
using Colony.Testing.Linearizability;

namespace Colony.Simulation.Checkers;

/// <summary>
/// Linearizability of the clients' history against a register per key, with the shared checker.
/// Returned operations count with their interval; writes of unknown outcome are pending (they may take
/// effect any time after their call, or never); operations known to have had no effect are left out.
/// A search that runs out of budget is undecided: not a violation, but counted.
/// </summary>
internal static class LinearizabilityCheck
{
    /// <summary>Search steps per key before the verdict is "unknown"; counted, so the verdict is the same everywhere.</summary>
    public const long DefaultStepsPerKey = 5_000_000;

    public static LinearizabilityVerdict Check(IReadOnlyList<Workload.Operation> history, long now, long stepsPerKey = DefaultStepsPerKey)
    {
        var operations = new List<Operation<KeyValueInput, string?>>(history.Count);
        foreach (var operation in history)
        {
            switch (operation.Status, operation.Kind)
            {
                case (OperationStatus.Ok, OperationKind.Write):
                    operations.Add(KeyValueModel.Put(operation.Client, operation.Key, operation.Value!, operation.Call, operation.Return));
                    break;
                case (OperationStatus.Ok, OperationKind.Delete):
                    operations.Add(KeyValueModel.Delete(operation.Client, operation.Key, operation.Call, operation.Return));
                    break;
                case (OperationStatus.Ok, OperationKind.Read):
                    operations.Add(KeyValueModel.Get(operation.Client, operation.Key, operation.Value, operation.Call, operation.Return));
                    break;
                case (OperationStatus.Pending or OperationStatus.InFlight, OperationKind.Write) when operation.MayHaveEffect:
                    operations.Add(KeyValueModel.PendingPut(operation.Client, operation.Key, operation.Value!, operation.Call));
                    break;
                case (OperationStatus.Pending or OperationStatus.InFlight, OperationKind.Delete) when operation.MayHaveEffect:
                    operations.Add(KeyValueModel.PendingDelete(operation.Client, operation.Key, operation.Call));
                    break;
            }
        }
        var result = LinearizabilityChecker.Check(KeyValueModel.Instance, operations, new CheckBudget { MaxStepsPerPartition = stepsPerKey });
        return result.Outcome switch
        {
            LinearizabilityOutcome.Illegal => new LinearizabilityVerdict(
                new Violation(ViolationKind.Linearizability, FirstLine(result.Explanation), now) { Report = result.Explanation },
                Undecided: false, result.Steps),
            LinearizabilityOutcome.Unknown => new LinearizabilityVerdict(null, Undecided: true, result.Steps),
            _ => new LinearizabilityVerdict(null, Undecided: false, result.Steps),
        };
    }

    private static string FirstLine(string text)
    {
        string line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim() ?? "";
        return line.Length <= 240 ? line : line[..240] + "…";
    }
}

/// <summary>The linearizability verdict: a violation, undecided (budget spent), or neither (linearizable).</summary>
internal readonly record struct LinearizabilityVerdict(Violation? Violation, bool Undecided, long Steps);
