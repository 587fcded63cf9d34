namespace Colony.Testing.Linearizability;

/// <summary>
/// The sequential specification a history is checked against. It must be deterministic: one state and
/// one input give one next state. States are compared with <see cref="StateComparer"/> to prune the
/// search, so they must be values (immutable, with meaningful equality and hash).
/// </summary>
public abstract class Model<TState, TInput, TOutput>
{
    /// <summary>The state before any operation.</summary>
    public abstract TState Init();

    /// <summary>
    /// Whether a completed operation that was called with <paramref name="input"/> could have returned
    /// <paramref name="output"/> in <paramref name="state"/>; if so, the state after it.
    /// </summary>
    public abstract bool Step(TState state, TInput input, TOutput output, out TState next);

    /// <summary>
    /// The state after a pending operation (outcome unknown) takes effect in <paramref name="state"/>.
    /// Accept any outcome the input allows; return false only if it cannot take effect in this state
    /// at all. The checker also lets a pending operation never take effect, so "not applied" needs no case here.
    /// </summary>
    public abstract bool StepPending(TState state, TInput input, out TState next);

    /// <summary>
    /// True if the input never changes the state (a read). A pending read constrains nothing, so the
    /// checker drops it before searching.
    /// </summary>
    public virtual bool IsReadOnly(TInput input) => false;

    /// <summary>
    /// Removes operations of one partition that cannot change the verdict, before the search. The
    /// default removes nothing. Sound pruning is model-specific: e.g. in a register, a pending write whose
    /// value no read returned can be dropped, because any linearization that applies it can leave it out.
    /// </summary>
    public virtual IReadOnlyList<Operation<TInput, TOutput>> Prune(IReadOnlyList<Operation<TInput, TOutput>> partition) => partition;

    /// <summary>Equality of states, for the search's memo of visited configurations.</summary>
    public virtual IEqualityComparer<TState> StateComparer => EqualityComparer<TState>.Default;

    /// <summary>
    /// Splits a history into parts whose operations never affect each other (P-compositionality: the
    /// history is linearizable iff every part is), e.g. by key. Each part keeps the history's order.
    /// The default is one part.
    /// </summary>
    public virtual IReadOnlyList<HistoryPartition<TInput, TOutput>> Partition(IReadOnlyList<Operation<TInput, TOutput>> history) =>
        [new HistoryPartition<TInput, TOutput>("history", history)];

    public virtual string DescribeInput(TInput input) => input?.ToString() ?? "null";

    public virtual string DescribeOutput(TInput input, TOutput output) => output?.ToString() ?? "null";

    public virtual string DescribeState(TState state) => state?.ToString() ?? "null";

    /// <summary>One line for a report: client, interval, input and output.</summary>
    public string Describe(in Operation<TInput, TOutput> operation) =>
        operation.IsPending
            ? $"client {operation.ClientId} [{operation.CallTime}, pending]: {DescribeInput(operation.Input)} -> ?"
            : $"client {operation.ClientId} [{operation.CallTime}, {operation.ReturnTime}]: "
              + $"{DescribeInput(operation.Input)} -> {DescribeOutput(operation.Input, operation.Output)}";
}
