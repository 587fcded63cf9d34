using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading;

namespace Colony.Client.MapReduce;

/// <summary>A task's counters, "Group.Name" to a value; safe to increment from several threads.</summary>
public sealed class Counters
{
    /// <summary>Lines read by a map.</summary>
    public const string MapInputRecords = "Task.MapInputRecords";
    /// <summary>Bytes read by a map, line endings included.</summary>
    public const string MapInputBytes = "Task.MapInputBytes";
    /// <summary>Pairs emitted by a mapper.</summary>
    public const string MapOutputRecords = "Task.MapOutputRecords";
    /// <summary>Pairs fed to the combiner.</summary>
    public const string CombineInputRecords = "Task.CombineInputRecords";
    /// <summary>Pairs the combiner emitted.</summary>
    public const string CombineOutputRecords = "Task.CombineOutputRecords";
    /// <summary>Pairs written to local disk (each spill and merge pass counts).</summary>
    public const string SpilledRecords = "Task.SpilledRecords";
    /// <summary>Distinct keys a reduce saw.</summary>
    public const string ReduceInputGroups = "Task.ReduceInputGroups";
    /// <summary>Pairs a reduce read.</summary>
    public const string ReduceInputRecords = "Task.ReduceInputRecords";
    /// <summary>Lines a reduce (or map-only task) wrote.</summary>
    public const string ReduceOutputRecords = "Task.ReduceOutputRecords";

    private readonly ConcurrentDictionary<string, StrongBox<long>> values = new(StringComparer.Ordinal);

    /// <summary>Adds <paramref name="delta"/> to the counter "group.name".</summary>
    public void Increment(string group, string name, long delta = 1) => Add(group + "." + name, delta);

    /// <summary>Adds <paramref name="delta"/> to a counter by its full name.</summary>
    public void Add(string fullName, long delta)
    {
        StrongBox<long> box = values.GetOrAdd(fullName, static _ => new StrongBox<long>());
        Interlocked.Add(ref box.Value, delta);
    }

    /// <summary>The value of a counter (0 when never incremented).</summary>
    public long this[string fullName] => values.TryGetValue(fullName, out StrongBox<long>? box) ? Interlocked.Read(ref box.Value) : 0;

    /// <summary>A copy of every counter.</summary>
    public IReadOnlyDictionary<string, long> Snapshot() =>
        values.ToDictionary(pair => pair.Key, pair => Interlocked.Read(ref pair.Value.Value), StringComparer.Ordinal);
}
