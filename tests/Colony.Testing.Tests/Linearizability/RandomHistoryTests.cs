using Colony.Core;
using Colony.Testing.Linearizability;
using static Colony.Testing.Linearizability.KeyValueModel;

namespace Colony.Testing.Tests.Linearizability;

/// <summary>
/// Histories produced by a real sequential execution, each operation stretched into a random interval
/// around the instant it took effect: linearizable by construction. Corrupting them must be caught.
/// </summary>
public class RandomHistoryTests
{
    /// <summary>
    /// Runs <paramref name="operations"/> operations of <paramref name="clients"/> sequential clients
    /// against a real map. Each takes effect at a distinct instant, inside an interval stretched by up to
    /// <paramref name="maxStretch"/> ticks either side; a client calls again only after its previous
    /// operation returned (or timed out).
    /// </summary>
    internal static List<Operation<KeyValueInput, string?>> Generate(
        SeededRandom random, int operations, int keys, int clients, int maxStretch)
    {
        var store = new Dictionary<string, string?>();
        var history = new List<Operation<KeyValueInput, string?>>(operations);
        var freeAt = new long[clients];
        long instant = 0;
        for (int i = 0; i < operations; i++)
        {
            int client = random.Next(clients);
            instant = Math.Max(instant + random.Next(1, 4), freeAt[client] + 1);
            string key = $"k{random.Next(keys)}";
            long call = Math.Max(freeAt[client] + 1, instant - random.Next(maxStretch));
            long ret = instant + random.Next(maxStretch);
            freeAt[client] = ret;
            switch (random.Next(10))
            {
                case < 4:
                    history.Add(Get(client, key, store.GetValueOrDefault(key), call, ret));
                    break;
                case < 8:
                    store[key] = $"v{i}";
                    history.Add(Put(client, key, $"v{i}", call, ret));
                    break;
                case 8:
                    // Took effect, but the client timed out and moved on.
                    store[key] = $"v{i}";
                    history.Add(PendingPut(client, key, $"v{i}", call));
                    break;
                default:
                    // Lost in a crash before it took effect, so nobody can have read it.
                    history.Add(PendingPut(client, key, $"lost{i}", call));
                    break;
            }
        }
        return history;
    }

    private static List<Operation<KeyValueInput, string?>> Generate(SeededRandom random) =>
        Generate(random, random.Next(50, 400), random.Next(1, 6), random.Next(1, 13), random.Next(1, 30));

    [Fact]
    public void Histories_from_a_sequential_execution_are_linearizable()
    {
        for (ulong seed = 1; seed <= 300; seed++)
        {
            var random = new SeededRandom(seed);
            var history = Generate(random);
            var result = LinearizabilityChecker.Check(Instance, history);
            Assert.True(result.IsOk, $"seed {seed}: {result.Explanation}");
        }
    }

    [Fact]
    public void Pruning_timed_out_writes_does_not_change_the_verdict()
    {
        for (ulong seed = 1; seed <= 100; seed++)
        {
            var random = new SeededRandom(seed);
            var history = Generate(random, random.Next(20, 120), random.Next(1, 3), random.Next(1, 6), random.Next(1, 10));
            // Make one read return the value of a lost or timed-out write (on that write's key). Whether
            // that is legal depends on the timing; the point is that both models must agree.
            var reads = history.Where(op => op.Input.Kind == KeyValueOperationKind.Get && !op.IsPending).ToArray();
            var pending = history.Where(op => op.Input.Kind == KeyValueOperationKind.Put && op.IsPending).ToArray();
            if (reads.Length > 0 && pending.Length > 0)
            {
                var read = reads[random.Next(reads.Length)];
                var write = pending[random.Next(pending.Length)];
                history[history.IndexOf(read)] = Get(read.ClientId, write.Input.Key, write.Input.Value, read.CallTime, read.ReturnTime);
            }
            var budget = new CheckBudget { MaxStepsPerPartition = 10_000_000 };
            var pruned = LinearizabilityChecker.Check(Instance, history, budget);
            var unpruned = LinearizabilityChecker.Check(UnprunedKeyValueModel.Instance, history, budget);
            Assert.NotEqual(LinearizabilityOutcome.Unknown, unpruned.Outcome);
            Assert.True(
                pruned.Outcome == unpruned.Outcome,
                $"seed {seed}: pruned says {pruned.Explanation}\nunpruned says {unpruned.Explanation}");
        }
    }

    [Fact]
    public void A_read_of_a_value_never_written_is_caught()
    {
        for (ulong seed = 1; seed <= 300; seed++)
        {
            var random = new SeededRandom(seed);
            var history = Generate(random);
            var reads = Enumerable.Range(0, history.Count)
                .Where(i => history[i].Input.Kind == KeyValueOperationKind.Get && !history[i].IsPending)
                .ToArray();
            if (reads.Length == 0)
            {
                continue;
            }
            int victim = reads[random.Next(reads.Length)];
            var read = history[victim];
            history[victim] = Get(read.ClientId, read.Input.Key, "corrupt", read.CallTime, read.ReturnTime);
            var result = LinearizabilityChecker.Check(Instance, history);
            Assert.True(result.Outcome == LinearizabilityOutcome.Illegal, $"seed {seed}: {result.Outcome}");
            Assert.Equal($"key \"{read.Input.Key}\"", result.Partition);
        }
    }

    [Fact]
    public void A_read_of_a_write_moved_after_it_is_caught()
    {
        for (ulong seed = 1; seed <= 300; seed++)
        {
            var random = new SeededRandom(seed);
            var history = Generate(random);
            // Values are unique, so each read names the one write it saw; move that write after the read.
            var reads = history
                .Where(op => op.Input.Kind == KeyValueOperationKind.Get && !op.IsPending && op.Output is not null)
                .ToArray();
            if (reads.Length == 0)
            {
                continue;
            }
            var read = reads[random.Next(reads.Length)];
            int write = history.FindIndex(op => op.Input.Kind == KeyValueOperationKind.Put && op.Input.Value == read.Output);
            var put = history[write];
            history[write] = put.IsPending
                ? PendingPut(put.ClientId, put.Input.Key, put.Input.Value!, read.ReturnTime + 1)
                : Put(put.ClientId, put.Input.Key, put.Input.Value!, read.ReturnTime + 1, read.ReturnTime + 2);
            var result = LinearizabilityChecker.Check(Instance, history);
            Assert.True(result.Outcome == LinearizabilityOutcome.Illegal, $"seed {seed}: {result.Outcome}");
        }
    }
}
