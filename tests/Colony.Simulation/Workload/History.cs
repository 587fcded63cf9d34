namespace Colony.Simulation.Workload;

internal enum OperationKind
{
    /// <summary>Puts a unique value at a key.</summary>
    Write,

    /// <summary>Removes a key.</summary>
    Delete,

    Read,
}

/// <summary>How an operation ended, as far as its client knows.</summary>
internal enum OperationStatus
{
    /// <summary>Still running.</summary>
    InFlight,

    /// <summary>Returned: a write took effect, or a read returned <see cref="Operation.Value"/>.</summary>
    Ok,

    /// <summary>A write whose outcome is unknown (timeout, crash): it may take effect at any time after its call.</summary>
    Pending,

    /// <summary>Had no effect: a write that was never accepted or was superseded, or a read that never returned.</summary>
    Failed,
}

/// <summary>One client operation: a put of a unique value, a delete, or a read, over a virtual-time interval.</summary>
internal sealed class Operation(int client, OperationKind kind, string key, string? value, long call)
{
    public int Client { get; } = client;

    public OperationKind Kind { get; } = kind;

    public string Key { get; } = key;

    /// <summary>The value written, or the value read (null: the key was absent).</summary>
    public string? Value { get; set; } = value;

    public long Call { get; } = call;

    public long Return { get; set; }

    public OperationStatus Status { get; set; } = OperationStatus.InFlight;

    /// <summary>For a write: the log index its entry was given, once accepted.</summary>
    public ulong Index { get; set; }

    /// <summary>For an accepted write: the term its entry was given.</summary>
    public ulong Term { get; set; }

    /// <summary>For a write: the fingerprint of the entry it proposes (<see cref="Checkers.Fingerprint.OfContent"/>).</summary>
    public ulong Content { get; set; }

    /// <summary>A put sent through a node that forwards it to its leader: its index is learned only when it is applied there.</summary>
    public bool Forwarded { get; set; }

    /// <summary>A write that may take effect even though its client has not heard so: accepted by a leader, or forwarded.</summary>
    public bool MayHaveEffect => Kind != OperationKind.Read && (Index != 0 || Forwarded);

    public override string ToString() =>
        $"c{Client} {Kind} {Key}={Value ?? "∅"} [{Scheduling.Time.Format(Call)}, {(Status == OperationStatus.Ok ? Scheduling.Time.Format(Return) : Status.ToString())}]";
}

/// <summary>Every client operation of a run, in call order.</summary>
internal sealed class History
{
    private readonly List<Operation> _operations = [];

    public IReadOnlyList<Operation> Operations => _operations;

    public Operation Begin(int client, OperationKind kind, string key, string? value, long call)
    {
        var operation = new Operation(client, kind, key, value, call);
        _operations.Add(operation);
        return operation;
    }

    /// <summary>The run is over: operations still running end as pending (accepted writes) or failed (the rest).</summary>
    public void Close()
    {
        foreach (var operation in _operations)
        {
            if (operation.Status == OperationStatus.InFlight)
            {
                operation.Status = operation.MayHaveEffect ? OperationStatus.Pending : OperationStatus.Failed;
            }
        }
    }

    public int Count(OperationStatus status) => _operations.Count(operation => operation.Status == status);

    /// <summary>
    /// Settles writes whose client never heard back, from what the replicas applied: a write whose entry
    /// was applied at its index took effect by the first apply, so it returns then; one whose index holds
    /// another entry never took effect. Only unknowns are settled, and only with facts, so the history
    /// gets more constrained, never less. Returns how many were settled.
    /// </summary>
    public int Settle(TryGetApplied applied)
    {
        int settled = 0;
        foreach (var operation in _operations)
        {
            if (operation.Kind == OperationKind.Read || operation.Index == 0
                || operation.Status is not (OperationStatus.Pending or OperationStatus.InFlight)
                || !applied(operation.Index, out ulong term, out ulong content, out long at))
            {
                continue;
            }
            if (term == operation.Term && content == operation.Content)
            {
                operation.Status = OperationStatus.Ok;
                operation.Return = Math.Max(at, operation.Call);
            }
            else
            {
                operation.Status = OperationStatus.Failed;
            }
            settled++;
        }
        return settled;
    }
}

/// <summary>Looks up the entry first applied at an index.</summary>
internal delegate bool TryGetApplied(ulong index, out ulong term, out ulong content, out long firstAppliedAt);
