using Colony.Core;
using Colony.Testing.Linearizability;
using static Colony.Testing.Linearizability.KeyValueModel;

namespace Colony.Testing.Tests.Linearizability;

/// <summary>
/// The checker against the definition itself on small random histories: a brute-force search over
/// every order that respects real time, with each pending operation either placed or left out.
/// </summary>
public class OracleTests
{
    private static bool Oracle<TState, TInput, TOutput>(
        Model<TState, TInput, TOutput> model, IReadOnlyList<Operation<TInput, TOutput>> history)
    {
        var used = new bool[history.Count];
        return Extend(model.Init());

        bool Extend(TState state)
        {
            if (Enumerable.Range(0, history.Count).All(i => used[i] || history[i].IsPending))
            {
                return true;
            }
            for (int i = 0; i < history.Count; i++)
            {
                // i may go next unless an operation still to place returned before i was called.
                if (used[i] || Enumerable.Range(0, history.Count).Any(j => !used[j] && history[j].ReturnTime < history[i].CallTime))
                {
                    continue;
                }
                var op = history[i];
                bool fits = op.IsPending
                    ? model.StepPending(state, op.Input, out var next)
                    : model.Step(state, op.Input, op.Output, out next);
                if (fits)
                {
                    used[i] = true;
                    bool found = Extend(next);
                    used[i] = false;
                    if (found)
                    {
                        return true;
                    }
                }
            }
            return false;
        }
    }

    private static List<Operation<KeyValueInput, string?>> RandomHistory(SeededRandom random)
    {
        string[] values = ["a", "b", "c"];
        var history = new List<Operation<KeyValueInput, string?>>();
        int count = random.Next(1, 8);
        for (int i = 0; i < count; i++)
        {
            int call = random.Next(20);
            int ret = call + random.Next(12);
            int client = i;
            string value = values[random.Next(values.Length)];
            bool pending = random.Next(4) == 0;
            history.Add(random.Next(5) switch
            {
                < 2 => pending ? PendingPut(client, "x", value, call) : Put(client, "x", value, call, ret),
                < 4 => pending
                    ? PendingGet(client, "x", call)
                    : Get(client, "x", random.Next(4) == 0 ? null : value, call, ret),
                _ => pending ? PendingDelete(client, "x", call) : Delete(client, "x", call, ret),
            });
        }
        return history;
    }

    [Fact]
    public void The_checker_agrees_with_brute_force_on_small_histories()
    {
        int legal = 0, illegal = 0;
        for (ulong seed = 1; seed <= 5000; seed++)
        {
            var history = RandomHistory(new SeededRandom(seed));
            bool expected = Oracle(Instance, history);
            var pruned = LinearizabilityChecker.Check(Instance, history);
            var unpruned = LinearizabilityChecker.Check(UnprunedKeyValueModel.Instance, history);
            Assert.True(
                expected == pruned.IsOk && pruned.Outcome != LinearizabilityOutcome.Unknown,
                $"seed {seed}: oracle says {(expected ? "linearizable" : "illegal")}, checker says {pruned.Explanation}");
            Assert.Equal(pruned.Outcome, unpruned.Outcome);
            if (expected)
            {
                legal++;
            }
            else
            {
                illegal++;
            }
        }
        // Both verdicts must be well represented, or the comparison proves little.
        Assert.True(legal > 1000 && illegal > 1000, $"{legal} legal, {illegal} illegal");
    }

    [Fact]
    public void The_checker_agrees_with_brute_force_on_small_counter_histories()
    {
        int legal = 0, illegal = 0;
        for (ulong seed = 1; seed <= 5000; seed++)
        {
            var random = new SeededRandom(seed);
            var history = new List<Operation<CounterInput, long>>();
            int count = random.Next(1, 8);
            for (int i = 0; i < count; i++)
            {
                int call = random.Next(20);
                int ret = call + random.Next(12);
                history.Add(random.Next(3) switch
                {
                    0 => CounterModel.PendingAdd(i, random.Next(1, 3), call),
                    1 => CounterModel.Add(i, random.Next(1, 3), call, ret),
                    _ => CounterModel.Read(i, random.Next(5), call, ret),
                });
            }
            bool expected = Oracle(CounterModel.Instance, history);
            var result = LinearizabilityChecker.Check(CounterModel.Instance, history);
            Assert.True(
                expected == result.IsOk && result.Outcome != LinearizabilityOutcome.Unknown,
                $"seed {seed}: oracle says {(expected ? "linearizable" : "illegal")}, checker says {result.Explanation}");
            if (expected)
            {
                legal++;
            }
            else
            {
                illegal++;
            }
        }
        Assert.True(legal > 1000 && illegal > 1000, $"{legal} legal, {illegal} illegal");
    }

    [Fact]
    public void Pending_adds_can_all_take_effect_back_to_back() => Assert.True(LinearizabilityChecker.Check(
        CounterModel.Instance,
        [CounterModel.PendingAdd(1, 1, 0), CounterModel.PendingAdd(2, 2, 0), CounterModel.Read(3, 3, 10, 20)]).IsOk);
}
