namespace Colony.Testing.Linearizability;

/// <summary>A part of a history that can be checked on its own, e.g. the operations on one key.</summary>
public sealed record HistoryPartition<TInput, TOutput>(string Name, IReadOnlyList<Operation<TInput, TOutput>> Operations);
