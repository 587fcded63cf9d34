using Colony.Testing.Linearizability;

namespace Colony.Testing.Tests.Linearizability;

/// <summary>What a counter client asked: add an amount, or read the total.</summary>
internal readonly record struct CounterInput(bool IsRead, int Amount)
{
    public override string ToString() => IsRead ? "read()" : $"add({Amount})";
}

/// <summary>
/// A counter: reads return the sum of the adds before them. Unlike a register's writes, adds do not
/// erase each other, so pending adds exercise the parts of the search a register never reaches.
/// </summary>
internal sealed class CounterModel : Model<long, CounterInput, long>
{
    public static readonly CounterModel Instance = new();

    public static Operation<CounterInput, long> Add(int client, int amount, long call, long ret) =>
        new(client, new CounterInput(false, amount), 0, call, ret);

    public static Operation<CounterInput, long> PendingAdd(int client, int amount, long call) =>
        Operation<CounterInput, long>.Pending(client, new CounterInput(false, amount), call);

    public static Operation<CounterInput, long> Read(int client, long value, long call, long ret) =>
        new(client, new CounterInput(true, 0), value, call, ret);

    public override long Init() => 0;

    public override bool Step(long state, CounterInput input, long output, out long next)
    {
        next = input.IsRead ? state : state + input.Amount;
        return !input.IsRead || output == state;
    }

    public override bool StepPending(long state, CounterInput input, out long next)
    {
        next = input.IsRead ? state : state + input.Amount;
        return true;
    }

    public override bool IsReadOnly(CounterInput input) => input.IsRead;
}
