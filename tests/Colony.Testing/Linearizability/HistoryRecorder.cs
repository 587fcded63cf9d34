namespace Colony.Testing.Linearizability;

/// <summary>
/// Collects a history as it happens: a client's call opens an operation, its reply completes it.
/// Whatever is still open when the history is taken is pending: the client never learned its outcome.
/// </summary>
public sealed class HistoryRecorder<TInput, TOutput>
{
    private readonly List<Operation<TInput, TOutput>> _operations = [];
    private readonly List<Status> _status = [];

    private enum Status : byte
    {
        Open,
        Completed,
        Discarded,
    }

    /// <summary>Operations recorded, whatever their status.</summary>
    public int Count => _operations.Count;

    /// <summary>Records a call; returns the handle to complete it with.</summary>
    public int Invoke(int clientId, TInput input, long time)
    {
        _operations.Add(Operation<TInput, TOutput>.Pending(clientId, input, time));
        _status.Add(Status.Open);
        return _operations.Count - 1;
    }

    /// <summary>Records the reply the client saw.</summary>
    public void Complete(int operation, TOutput output, long time)
    {
        RequireOpen(operation);
        var call = _operations[operation];
        _operations[operation] = new Operation<TInput, TOutput>(call.ClientId, call.Input, output, call.CallTime, time);
        _status[operation] = Status.Completed;
    }

    /// <summary>
    /// Forgets an operation the client knows had no effect (e.g. refused before it was proposed).
    /// Only for certain failures: when in doubt, leave the operation open.
    /// </summary>
    public void Discard(int operation)
    {
        RequireOpen(operation);
        _status[operation] = Status.Discarded;
    }

    /// <summary>The history so far: completed operations, and open ones as pending.</summary>
    public IReadOnlyList<Operation<TInput, TOutput>> ToHistory()
    {
        var history = new List<Operation<TInput, TOutput>>(_operations.Count);
        for (int i = 0; i < _operations.Count; i++)
        {
            if (_status[i] != Status.Discarded)
            {
                history.Add(_operations[i]);
            }
        }
        return history;
    }

    private void RequireOpen(int operation)
    {
        if ((uint)operation >= (uint)_operations.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(operation), operation, "no such operation");
        }
        if (_status[operation] != Status.Open)
        {
            throw new InvalidOperationException($"operation {operation} is already {_status[operation]}");
        }
    }
}
