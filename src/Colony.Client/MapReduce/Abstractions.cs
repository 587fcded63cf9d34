namespace Colony.Client.MapReduce;

/// <summary>Receives a running task's progress, so a healthy task never looks hung.</summary>
public interface ITaskReporter
{
    /// <summary>The fraction of the task done, 0 to 1.</summary>
    void Progress(double fraction);
}

/// <summary>A reporter that ignores progress.</summary>
public sealed class NullTaskReporter : ITaskReporter
{
    /// <summary>The shared instance.</summary>
    public static readonly NullTaskReporter Instance = new();

    /// <inheritdoc />
    public void Progress(double fraction) { }
}

/// <summary>
/// Where mappers, combiners and reducers send key/value pairs. Map and combine outputs are binary
/// records that the engine sorts by raw key bytes; a reducer's (or a map-only job's) output is text:
/// key, TAB, value and a newline, or the key alone when the value is empty.
/// </summary>
public abstract class Emitter
{
    /// <summary>True when pairs become text lines (reduce output, or map output of a job without reducers).</summary>
    public abstract bool WritesText { get; }

    /// <summary>Emits one pair; the spans are copied before this returns.</summary>
    public abstract void Emit(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);
}

/// <summary>The values of one key in a reduce or combine, read once in order.</summary>
public abstract class ReduceValues
{
    /// <summary>Moves to the next value; false when the key's values are exhausted.</summary>
    public abstract bool MoveNext();

    /// <summary>The current value; valid until the next <see cref="MoveNext"/>.</summary>
    public abstract ReadOnlySpan<byte> Current { get; }
}

/// <summary>Chooses the reduce partition of a map output key.</summary>
public interface IPartitioner
{
    /// <summary>The partition of <paramref name="key"/>, in [0, partitions).</summary>
    int GetPartition(ReadOnlySpan<byte> key, int partitions);
}

/// <summary>Orders serialized keys; the engine's default is unsigned byte order, which needs no comparer.</summary>
public interface IKeyComparer
{
    /// <summary>Negative, zero or positive as <paramref name="x"/> sorts before, with, or after <paramref name="y"/>.</summary>
    int Compare(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y);
}

/// <summary>The default partitioner: a stable hash of the key bytes (the same in every process).</summary>
public sealed class HashPartitioner : IPartitioner
{
    /// <summary>The shared instance.</summary>
    public static readonly HashPartitioner Instance = new();

    /// <inheritdoc />
    public int GetPartition(ReadOnlySpan<byte> key, int partitions) => (int)(Hash(key) % (uint)partitions);

    /// <summary>FNV-1a: deterministic across processes, unlike <see cref="HashCode"/>.</summary>
    public static uint Hash(ReadOnlySpan<byte> key)
    {
        uint h = 2166136261;
        foreach (byte b in key)
        {
            h = (h ^ b) * 16777619;
        }
        return h;
    }
}

/// <summary>A task's view of its job: settings, identity and counters.</summary>
public sealed class TaskContext
{
    /// <summary>Creates a context.</summary>
    public TaskContext(string taskId, int step, IReadOnlyDictionary<string, string> settings, Counters counters, string workDirectory)
    {
        TaskId = taskId;
        Step = step;
        Settings = settings;
        Counters = counters;
        WorkDirectory = workDirectory;
    }

    /// <summary>The task's id.</summary>
    public string TaskId { get; }

    /// <summary>The 0-based step of the job this task runs.</summary>
    public int Step { get; }

    /// <summary>The job's settings.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; }

    /// <summary>The task's counters; user counters go here too.</summary>
    public Counters Counters { get; }

    /// <summary>The task's local scratch directory.</summary>
    public string WorkDirectory { get; }

    /// <summary>The input file of a map task (null in a reduce).</summary>
    public string? InputPath { get; init; }

    /// <summary>The fraction of the task done so far.</summary>
    public double Progress { get; internal set; }
}

/// <summary>Maps lines of input. Override <see cref="Map"/>; it sees each line as bytes without its line ending.</summary>
public abstract class RawMapper
{
    /// <summary>Called once before the first record.</summary>
    public virtual void Setup(TaskContext context, Emitter output) { }

    /// <summary>Maps one line (without "\n" or "\r\n").</summary>
    public abstract void Map(ReadOnlySpan<byte> line, Emitter output);

    /// <summary>Called once after the last record: flush anything combined in place.</summary>
    public virtual void Cleanup(Emitter output) { }
}

/// <summary>Reduces (or combines) the values of each key, keys arriving in sorted order.</summary>
public abstract class RawReducer
{
    /// <summary>Called once before the first key (for a combiner: once per partition of a spill).</summary>
    public virtual void Setup(TaskContext context, Emitter output) { }

    /// <summary>Reduces one key's values.</summary>
    public abstract void Reduce(ReadOnlySpan<byte> key, ReduceValues values, Emitter output);

    /// <summary>Called once after the last key.</summary>
    public virtual void Cleanup(Emitter output) { }
}

/// <summary>
/// A job: a mapper, an optional combiner and reducer, partitioner and comparer per step. A job assembly
/// is a class library with one public subclass and a public parameterless constructor.
/// </summary>
public abstract class MapReduceJob
{
    /// <summary>The number of steps; step n+1 reads the text output of step n.</summary>
    public virtual int StepCount => 1;

    /// <summary>Creates the mapper of a step.</summary>
    public abstract RawMapper CreateMapper(int step);

    /// <summary>Creates the reducer of a step; null passes every pair through to the text output.</summary>
    public virtual RawReducer? CreateReducer(int step) => null;

    /// <summary>Creates the combiner of a step, run on sorted map output before it is spilled; null for none.</summary>
    public virtual RawReducer? CreateCombiner(int step) => null;

    /// <summary>The partitioner of a step.</summary>
    public virtual IPartitioner CreatePartitioner(int step, IReadOnlyDictionary<string, string> settings) => HashPartitioner.Instance;

    /// <summary>The key order of a step; null is unsigned byte order (the fastest).</summary>
    public virtual IKeyComparer? CreateComparer(int step) => null;

    /// <summary>Runs once at submission, e.g. to sample the inputs; returns settings to add to the job.</summary>
    public virtual Task<IReadOnlyDictionary<string, string>> PrepareAsync(JobPreparationContext context, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string>());
}

/// <summary>What a job sees at submission.</summary>
public sealed class JobPreparationContext
{
    /// <summary>The input files and their lengths.</summary>
    public required IReadOnlyList<(string Path, long Length)> Inputs { get; init; }

    /// <summary>The number of reduce partitions.</summary>
    public required int Reducers { get; init; }

    /// <summary>Opens an input file as a seekable stream.</summary>
    public required Func<string, CancellationToken, Task<Stream>> OpenInput { get; init; }

    /// <summary>The job's settings.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
}
