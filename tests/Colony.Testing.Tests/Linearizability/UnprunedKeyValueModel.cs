using Colony.Testing.Linearizability;

namespace Colony.Testing.Tests.Linearizability;

/// <summary>The key-value model without its pruning, to exercise the general search on pending operations.</summary>
internal sealed class UnprunedKeyValueModel : Model<string?, KeyValueInput, string?>
{
    private static readonly KeyValueModel Inner = KeyValueModel.Instance;

    public static readonly UnprunedKeyValueModel Instance = new();

    public override string? Init() => Inner.Init();

    public override bool Step(string? state, KeyValueInput input, string? output, out string? next) =>
        Inner.Step(state, input, output, out next);

    public override bool StepPending(string? state, KeyValueInput input, out string? next) =>
        Inner.StepPending(state, input, out next);

    public override bool IsReadOnly(KeyValueInput input) => Inner.IsReadOnly(input);

    public override IEqualityComparer<string?> StateComparer => Inner.StateComparer;

    public override IReadOnlyList<HistoryPartition<KeyValueInput, string?>> Partition(
        IReadOnlyList<Operation<KeyValueInput, string?>> history) => Inner.Partition(history);
}
