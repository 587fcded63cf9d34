using Colony.Testing.Linearizability;

namespace Colony.FaultTests.Workloads;

public enum RegisterOpKind : byte
{
    /// <summary>sync, then getData: returns the value and its version.</summary>
    Read = 1,

    /// <summary>setData with version -1: returns the new version.</summary>
    Write = 2,

    /// <summary>setData with an expected version: the new version, or BadVersion.</summary>
    CompareAndSet = 3,

    /// <summary>
    /// Not a client's: opens a piece of a history cut at a quiescent point with the state proven
    /// there (Value, and ExpectedVersion as the version). See <see cref="RegisterHistorySplit"/>.
    /// </summary>
    Restore = 4,

    /// <summary>
    /// Not a client's: a pending plain write carried over a cut, as a count (see <see cref="RegisterHistorySplit"/>).
    /// The ones opening a piece are interchangeable, so the n-th (ExpectedVersion n, from 0) may take effect
    /// only after the ones before it: a search that tried them in every order and subset would never end.
    /// </summary>
    Spare = 5,

    /// <summary>
    /// Not a client's: a pending cas in a piece where such a cas may have written a version nobody saw, in place of
    /// a pending plain write. As a cas, and counted when it takes effect (see <see cref="RegisterHistorySplit"/>).
    /// </summary>
    CountedCas = 6,

    /// <summary>Not a client's: closes such a piece, requiring that at least ExpectedVersion counted cas took effect.</summary>
    Tally = 7,
}

/// <summary>What a client asked of one znode.</summary>
public readonly record struct RegisterInput(RegisterOpKind Kind, string Key, string? Value = null, int ExpectedVersion = -1)
{
    public override string ToString() => Kind switch
    {
        RegisterOpKind.Read => $"read({Key})",
        RegisterOpKind.Write => $"write({Key}, \"{Value}\")",
        RegisterOpKind.Restore => $"restore({Key}, \"{Value}\" v{ExpectedVersion})",
        RegisterOpKind.Spare => $"spare({Key}, #{ExpectedVersion + 1})",
        RegisterOpKind.CountedCas => $"counted cas({Key}, v{ExpectedVersion}, \"{Value}\")",
        RegisterOpKind.Tally => $"tally({Key}, at least {ExpectedVersion} counted cas)",
        _ => $"cas({Key}, v{ExpectedVersion}, \"{Value}\")",
    };
}

/// <summary>What the client saw: for a read, the value and version; for a write, the new version; a cas that lost has Ok false.</summary>
public readonly record struct RegisterOutput(bool Ok, string? Value, int Version)
{
    public override string ToString() => Ok ? (Value is null ? $"ok v{Version}" : $"\"{Value}\" v{Version}") : "BadVersion";
}

/// <summary>
/// A znode's data and version: what the register model tracks; and, in a piece of a cut history, how many spare
/// writes and counted cas took effect.
/// </summary>
public readonly record struct RegisterState(string Value, int Version, int SparesSpent = 0, int CasCounted = 0)
{
    public override string ToString() => SparesSpent == 0 && CasCounted == 0
        ? $"\"{Value}\" v{Version}"
        : $"\"{Value}\" v{Version} ({SparesSpent} spare writes, {CasCounted} counted cas)";
}

/// <summary>
/// A znode as a versioned register. Every successful setData adds one to the version, which the
/// client sees, so a write that was acknowledged and then lost shows up as two writes with one
/// version, and a stale read as a version that went backwards. Every znode starts as ("0", v0).
/// </summary>
public sealed class RegisterModel : Model<RegisterState, RegisterInput, RegisterOutput>
{
    public const string InitialValue = "0";

    public static readonly RegisterModel Instance = new();

    public override RegisterState Init() => new(InitialValue, 0);

    public override bool Step(RegisterState state, RegisterInput input, RegisterOutput output, out RegisterState next)
    {
        next = state;
        switch (input.Kind)
        {
            case RegisterOpKind.Read:
                return output.Ok && output.Value == state.Value && output.Version == state.Version;
            case RegisterOpKind.Write:
                next = state with { Value = input.Value!, Version = state.Version + 1 };
                return output.Ok && output.Version == state.Version + 1;
            case RegisterOpKind.Restore:
                next = new RegisterState(input.Value!, input.ExpectedVersion);
                return true;
            case RegisterOpKind.Spare or RegisterOpKind.CountedCas:
                return false; // never answered
            case RegisterOpKind.Tally:
                return state.CasCounted >= input.ExpectedVersion;
            default:
                if (!output.Ok)
                {
                    return state.Version != input.ExpectedVersion;
                }
                next = state with { Value = input.Value!, Version = state.Version + 1 };
                return state.Version == input.ExpectedVersion && output.Version == state.Version + 1;
        }
    }

    public override bool StepPending(RegisterState state, RegisterInput input, out RegisterState next)
    {
        next = state;
        switch (input.Kind)
        {
            case RegisterOpKind.Read:
                return true;
            case RegisterOpKind.Write:
                next = state with { Value = input.Value!, Version = state.Version + 1 };
                return true;
            case RegisterOpKind.Restore:
                next = new RegisterState(input.Value!, input.ExpectedVersion);
                return true;
            case RegisterOpKind.Spare:
                if (state.SparesSpent != input.ExpectedVersion)
                {
                    return false;
                }
                next = state with { Value = input.Value!, Version = state.Version + 1, SparesSpent = state.SparesSpent + 1 };
                return true;
            case RegisterOpKind.CountedCas:
                if (state.Version != input.ExpectedVersion)
                {
                    return false;
                }
                next = state with { Value = input.Value!, Version = state.Version + 1, CasCounted = state.CasCounted + 1 };
                return true;
            case RegisterOpKind.Tally:
                return false; // always answered
            default:
                // A cas whose version does not match changes nothing: the same as never taking effect.
                if (state.Version != input.ExpectedVersion)
                {
                    return false;
                }
                next = state with { Value = input.Value!, Version = state.Version + 1 };
                return true;
        }
    }

    public override bool IsReadOnly(RegisterInput input) => input.Kind == RegisterOpKind.Read;

    /// <summary>One partition per znode (znodes never interact), each cut in pieces where its versions allow (<see cref="RegisterHistorySplit"/>).</summary>
    public override IReadOnlyList<HistoryPartition<RegisterInput, RegisterOutput>> Partition(
        IReadOnlyList<Operation<RegisterInput, RegisterOutput>> history) =>
        [.. history.GroupBy(o => o.Input.Key, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .SelectMany(g => RegisterHistorySplit.Split($"znode {g.Key}", [.. g]))];
}
