namespace Colony.Testing.Linearizability;

/// <summary>
/// A register per key: Put sets it, Delete clears it, Get must return what it holds (null if nothing).
/// Keys never interact, so the history is checked one key at a time.
/// </summary>
public sealed class KeyValueModel : Model<string?, KeyValueInput, string?>
{
    public static readonly KeyValueModel Instance = new();

    public static Operation<KeyValueInput, string?> Put(int clientId, string key, string value, long callTime, long returnTime) =>
        new(clientId, KeyValueInput.Put(key, value), null, callTime, returnTime);

    public static Operation<KeyValueInput, string?> Get(int clientId, string key, string? value, long callTime, long returnTime) =>
        new(clientId, KeyValueInput.Get(key), value, callTime, returnTime);

    public static Operation<KeyValueInput, string?> Delete(int clientId, string key, long callTime, long returnTime) =>
        new(clientId, KeyValueInput.Delete(key), null, callTime, returnTime);

    public static Operation<KeyValueInput, string?> PendingPut(int clientId, string key, string value, long callTime) =>
        Operation<KeyValueInput, string?>.Pending(clientId, KeyValueInput.Put(key, value), callTime);

    public static Operation<KeyValueInput, string?> PendingGet(int clientId, string key, long callTime) =>
        Operation<KeyValueInput, string?>.Pending(clientId, KeyValueInput.Get(key), callTime);

    public static Operation<KeyValueInput, string?> PendingDelete(int clientId, string key, long callTime) =>
        Operation<KeyValueInput, string?>.Pending(clientId, KeyValueInput.Delete(key), callTime);

    public override string? Init() => null;

    public override bool Step(string? state, KeyValueInput input, string? output, out string? next)
    {
        switch (input.Kind)
        {
            case KeyValueOperationKind.Put:
                next = input.Value;
                return true;
            case KeyValueOperationKind.Delete:
                next = null;
                return true;
            default:
                next = state;
                return string.Equals(state, output, StringComparison.Ordinal);
        }
    }

    public override bool StepPending(string? state, KeyValueInput input, out string? next)
    {
        next = input.Kind switch
        {
            KeyValueOperationKind.Put => input.Value,
            KeyValueOperationKind.Delete => null,
            _ => state,
        };
        return true;
    }

    public override bool IsReadOnly(KeyValueInput input) => input.Kind == KeyValueOperationKind.Get;

    /// <summary>
    /// Drops pending puts and deletes that nobody observed. Both are blind writes: if no completed get
    /// returned the value a pending write would leave, any linearization that applies it must overwrite
    /// it before the next get, so the same order without it is a linearization too. Timed-out writes are
    /// the costly part of a search (each may or may not apply), and most are never read.
    /// </summary>
    public override IReadOnlyList<Operation<KeyValueInput, string?>> Prune(IReadOnlyList<Operation<KeyValueInput, string?>> partition)
    {
        var observed = new HashSet<string>(StringComparer.Ordinal);
        bool nullObserved = false;
        foreach (var operation in partition)
        {
            if (operation.Input.Kind == KeyValueOperationKind.Get && !operation.IsPending)
            {
                if (operation.Output is null)
                {
                    nullObserved = true;
                }
                else
                {
                    observed.Add(operation.Output);
                }
            }
        }
        var kept = new List<Operation<KeyValueInput, string?>>(partition.Count);
        foreach (var operation in partition)
        {
            bool keep = !operation.IsPending || operation.Input.Kind switch
            {
                KeyValueOperationKind.Put => observed.Contains(operation.Input.Value!),
                KeyValueOperationKind.Delete => nullObserved,
                _ => false,
            };
            if (keep)
            {
                kept.Add(operation);
            }
        }
        return kept;
    }

    public override IEqualityComparer<string?> StateComparer => StringComparer.Ordinal;

    /// <summary>One partition per key, in ordinal key order.</summary>
    public override IReadOnlyList<HistoryPartition<KeyValueInput, string?>> Partition(
        IReadOnlyList<Operation<KeyValueInput, string?>> history)
    {
        var byKey = new Dictionary<string, List<Operation<KeyValueInput, string?>>>(StringComparer.Ordinal);
        foreach (var operation in history)
        {
            if (!byKey.TryGetValue(operation.Input.Key, out var list))
            {
                byKey[operation.Input.Key] = list = [];
            }
            list.Add(operation);
        }
        var keys = byKey.Keys.ToArray();
        Array.Sort(keys, StringComparer.Ordinal);
        var partitions = new HistoryPartition<KeyValueInput, string?>[keys.Length];
        for (int i = 0; i < keys.Length; i++)
        {
            partitions[i] = new HistoryPartition<KeyValueInput, string?>($"key \"{keys[i]}\"", byKey[keys[i]]);
        }
        return partitions;
    }

    public override string DescribeOutput(KeyValueInput input, string? output) =>
        input.Kind == KeyValueOperationKind.Get ? DescribeState(output) : "ok";

    public override string DescribeState(string? state) => state is null ? "null" : $"\"{state}\"";
}
