namespace Colony.Testing.Linearizability;

/// <summary>
/// Decides whether a concurrent history is linearizable against a sequential model: whether every
/// completed operation (and any subset of the pending ones) can be given an instant within its
/// interval such that, in that order, the model produces every output the clients saw.
/// </summary>
/// <remarks>
/// Wing and Gong's backtracking search with Lowe's memo of visited configurations (see
/// <see cref="LinearizationSearch{TState, TInput, TOutput}"/>), applied to each partition the model
/// defines. A pending operation may take effect at any instant after its call, or never: the search
/// places it only where that helps. Deterministic: the same history gives the same verdict, explanation
/// and step count. Thread-safe: checks share no state, so seeds can be checked in parallel.
/// </remarks>
public static class LinearizabilityChecker
{
    public static LinearizabilityResult<TInput, TOutput> Check<TState, TInput, TOutput>(
        Model<TState, TInput, TOutput> model, IReadOnlyList<Operation<TInput, TOutput>> history, CheckBudget? budget = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(history);
        budget ??= CheckBudget.Default;
        if (budget.MaxStepsPerPartition <= 0)
        {
            throw new ArgumentException("MaxStepsPerPartition must be positive", nameof(budget));
        }
        if (budget.MaxMemoBytes <= 0)
        {
            throw new ArgumentException("MaxMemoBytes must be positive", nameof(budget));
        }

        long steps = 0;
        string? undecided = null;
        int undecidedCount = 0;
        foreach (var partition in model.Partition(history))
        {
            var search = new LinearizationSearch<TState, TInput, TOutput>(model, model.Prune(partition.Operations));
            var outcome = search.Run(budget.MaxStepsPerPartition, budget.MaxMemoBytes, budget.Cancellation);
            steps += search.Steps;
            switch (outcome)
            {
                case LinearizabilityOutcome.Illegal:
                    // One illegal partition decides the whole history.
                    return search.Explain(partition.Name, steps);
                case LinearizabilityOutcome.Unknown:
                    // Keep going: a later partition may still prove the history illegal.
                    if (undecided is null)
                    {
                        undecided = partition.Name;
                        undecidedCount = search.OperationCount;
                    }
                    break;
            }
        }
        return undecided is null
            ? new LinearizabilityResult<TInput, TOutput>(LinearizabilityOutcome.Ok, steps, null, "linearizable")
            : new LinearizabilityResult<TInput, TOutput>(
                LinearizabilityOutcome.Unknown, steps, undecided,
                $"unknown: the search budget ran out on {undecided} ({undecidedCount} operations); no partition was found illegal");
    }
}
