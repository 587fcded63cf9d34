using Colony.FaultTests.Workloads;
using Colony.Testing.Linearizability;

namespace Colony.FaultTests;

/// <summary>Builders of register operations on one znode, for tests that write histories by hand.</summary>
internal static class RegisterOps
{
    public const string K = "/register/k0";

    public static Operation<RegisterInput, RegisterOutput> Read(int client, string value, int version, long call, long ret) =>
        new(client, new RegisterInput(RegisterOpKind.Read, K), new RegisterOutput(true, value, version), call, ret);

    public static Operation<RegisterInput, RegisterOutput> Write(int client, string value, int version, long call, long ret) =>
        new(client, new RegisterInput(RegisterOpKind.Write, K, value), new RegisterOutput(true, null, version), call, ret);

    /// <summary>A compare-and-set that succeeded and wrote <paramref name="version"/>.</summary>
    public static Operation<RegisterInput, RegisterOutput> Cas(int client, int expected, string value, int version, long call, long ret) =>
        new(client, new RegisterInput(RegisterOpKind.CompareAndSet, K, value, expected), new RegisterOutput(true, null, version), call, ret);

    /// <summary>A compare-and-set refused with BadVersion.</summary>
    public static Operation<RegisterInput, RegisterOutput> FailedCas(int client, int expected, string value, long call, long ret) =>
        new(client, new RegisterInput(RegisterOpKind.CompareAndSet, K, value, expected), new RegisterOutput(false, null, 0), call, ret);

    public static Operation<RegisterInput, RegisterOutput> PendingWrite(int client, string value, long call) =>
        Operation<RegisterInput, RegisterOutput>.Pending(client, new RegisterInput(RegisterOpKind.Write, K, value), call);

    public static Operation<RegisterInput, RegisterOutput> PendingCas(int client, int expected, string value, long call) =>
        Operation<RegisterInput, RegisterOutput>.Pending(client, new RegisterInput(RegisterOpKind.CompareAndSet, K, value, expected), call);

    public static Operation<RegisterInput, RegisterOutput> PendingRead(int client, long call) =>
        Operation<RegisterInput, RegisterOutput>.Pending(client, new RegisterInput(RegisterOpKind.Read, K), call);

    /// <summary>The verdict of the checker, which cuts each znode's history in pieces first.</summary>
    public static LinearizabilityOutcome Check(params Operation<RegisterInput, RegisterOutput>[] history) =>
        LinearizabilityChecker.Check(RegisterModel.Instance, history).Outcome;

    /// <summary>The register model without the cuts: each znode's history is checked in one piece.</summary>
    public static readonly WholeRegisterModel Whole = new();

    /// <summary>
    /// The verdict on the whole history, not cut, and (with <paramref name="budget"/>) possibly not decided.
    /// </summary>
    public static LinearizabilityOutcome CheckWhole(IReadOnlyList<Operation<RegisterInput, RegisterOutput>> history, CheckBudget? budget = null) =>
        LinearizabilityChecker.Check(Whole, history, budget).Outcome;

    public sealed class WholeRegisterModel : Model<RegisterState, RegisterInput, RegisterOutput>
    {
        public override RegisterState Init() => RegisterModel.Instance.Init();

        public override bool Step(RegisterState state, RegisterInput input, RegisterOutput output, out RegisterState next) =>
            RegisterModel.Instance.Step(state, input, output, out next);

        public override bool StepPending(RegisterState state, RegisterInput input, out RegisterState next) =>
            RegisterModel.Instance.StepPending(state, input, out next);

        public override bool IsReadOnly(RegisterInput input) => RegisterModel.Instance.IsReadOnly(input);
    }
}
