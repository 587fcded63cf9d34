namespace Colony.Client.MapReduce;

/// <summary>One attempt of a map task.</summary>
public sealed class MapTaskSpec
{
    /// <summary>The loaded job.</summary>
    public required LoadedJob Job { get; init; }

    /// <summary>The task attempt's id.</summary>
    public required string TaskId { get; init; }

    /// <summary>The whole input file, seekable.</summary>
    public required Stream Input { get; init; }

    /// <summary>The input file's path, for the task context.</summary>
    public required string InputPath { get; init; }

    /// <summary>Offset of the split in the input.</summary>
    public required long SplitStart { get; init; }

    /// <summary>Length of the split.</summary>
    public required long SplitLength { get; init; }

    /// <summary>Reduce partitions; 0 makes the task write text to <see cref="MapOnlyOutput"/>.</summary>
    public required int Reducers { get; init; }

    /// <summary>A local scratch directory owned by this attempt; it must exist.</summary>
    public required string WorkDirectory { get; init; }

    /// <summary>Where a map-only task writes its text output.</summary>
    public Stream? MapOnlyOutput { get; init; }

    /// <summary>Memory for sorting map output before it spills (64 MiB by default).</summary>
    public long SortBufferBytes { get; init; } = 64L << 20;

    /// <summary>The job's settings.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
}

/// <summary>What a map task produced.</summary>
public sealed class MapTaskResult
{
    /// <summary>The sorted, partitioned output inside the work directory; null for a map-only task.</summary>
    public string? OutputFile { get; init; }

    /// <summary>The output's partition index (see <see cref="MapOutputFile.ReadIndex"/>); null for a map-only task.</summary>
    public string? IndexFile { get; init; }

    /// <summary>The task's counters.</summary>
    public required IReadOnlyDictionary<string, long> Counters { get; init; }
}

/// <summary>One attempt of a reduce task.</summary>
public sealed class ReduceTaskSpec
{
    /// <summary>The loaded job.</summary>
    public required LoadedJob Job { get; init; }

    /// <summary>The task attempt's id.</summary>
    public required string TaskId { get; init; }

    /// <summary>The partition this task reduces.</summary>
    public required int Partition { get; init; }

    /// <summary>Local files, each one map's segment for this partition.</summary>
    public required IReadOnlyList<string> SegmentFiles { get; init; }

    /// <summary>Where the text output goes.</summary>
    public required Stream Output { get; init; }

    /// <summary>A local scratch directory owned by this attempt.</summary>
    public required string WorkDirectory { get; init; }

    /// <summary>The job's settings.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
}

/// <summary>What a reduce task produced.</summary>
public sealed class ReduceTaskResult
{
    /// <summary>The task's counters.</summary>
    public required IReadOnlyDictionary<string, long> Counters { get; init; }
}

/// <summary>Runs map tasks.</summary>
public static class MapTaskRunner
{
    /// <summary>Fine enough that a slow but working mapper (a streaming one, say) never looks hung.</summary>
    private const long ProgressEveryBytes = 256L << 10;

    /// <summary>Maps every record of the split, then sorts, combines and spills the output into one partitioned file.</summary>
    public static async Task<MapTaskResult> RunAsync(MapTaskSpec spec, ITaskReporter reporter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(reporter);
        if (spec.Reducers < 0 || (spec.Reducers == 0 && spec.MapOnlyOutput is null))
        {
            throw new ArgumentException("A map task needs reducers, or a map-only output stream.", nameof(spec));
        }
        var counters = new Counters();
        LoadedJob job = spec.Job;
        IReadOnlyDictionary<string, string> settings = job.EffectiveSettings(spec.Settings);
        int step = job.StepOf(settings);
        var context = new TaskContext(spec.TaskId, step, settings, counters, spec.WorkDirectory) { InputPath = spec.InputPath };
        RawMapper mapper = job.Job.CreateMapper(step);
        MapOutputCollector? collector = null;
        TextEmitter? text = null;
        if (spec.Reducers > 0)
        {
            collector = new MapOutputCollector(
                spec.Reducers, job.Job.CreatePartitioner(step, settings), job.Job.CreateComparer(step),
                () => job.Job.CreateCombiner(step), context, spec.SortBufferBytes);
        }
        else
        {
            text = new TextEmitter(spec.MapOnlyOutput!, counters);
        }
        Emitter output = (Emitter?)collector ?? text!;
        try
        {
            using var reader = new SplitLineReader(spec.Input, spec.SplitStart, spec.SplitLength);
            mapper.Setup(context, output);
            long records = 0;
            long nextReport = ProgressEveryBytes;
            reporter.Progress(0);
            while (true)
            {
                records += MapBuffered(reader, mapper, output);
                if (reader.Finished)
                {
                    break;
                }
                if (reader.RecordBytes >= nextReport)
                {
                    nextReport = reader.RecordBytes + ProgressEveryBytes;
                    double fraction = spec.SplitLength == 0 ? 1 : Math.Min(1, (double)reader.RecordBytes / spec.SplitLength);
                    context.Progress = fraction;
                    reporter.Progress(fraction * 0.9);
                }
                cancellationToken.ThrowIfCancellationRequested();
                await reader.FillAsync(cancellationToken).ConfigureAwait(false);
            }
            mapper.Cleanup(output);
            counters.Add(Counters.MapInputRecords, records);
            counters.Add(Counters.MapInputBytes, reader.RecordBytes);
            if (collector is not null)
            {
                (string file, string index) = collector.Finish();
                reporter.Progress(1);
                return new MapTaskResult { OutputFile = file, IndexFile = index, Counters = counters.Snapshot() };
            }
            await text!.FlushAsync(cancellationToken).ConfigureAwait(false);
            reporter.Progress(1);
            return new MapTaskResult { Counters = counters.Snapshot() };
        }
        finally
        {
            (mapper as IDisposable)?.Dispose();
            collector?.Dispose();
            text?.Dispose();
        }
    }

    private static long MapBuffered(SplitLineReader reader, RawMapper mapper, Emitter output)
    {
        long records = 0;
        while (reader.TryNextLine(out int offset, out int length))
        {
            mapper.Map(reader.Buffer.AsSpan(offset, length), output);
            records++;
        }
        return records;
    }
}

/// <summary>Runs reduce tasks.</summary>
public static class ReduceTaskRunner
{
    /// <summary>Merges the segments (streaming them, so memory stays bounded), groups by key, reduces, and writes text lines.</summary>
    public static async Task<ReduceTaskResult> RunAsync(ReduceTaskSpec spec, ITaskReporter reporter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(reporter);
        var counters = new Counters();
        LoadedJob job = spec.Job;
        IReadOnlyDictionary<string, string> settings = job.EffectiveSettings(spec.Settings);
        int step = job.StepOf(settings);
        var context = new TaskContext(spec.TaskId, step, settings, counters, spec.WorkDirectory);
        IKeyComparer? comparer = job.Job.CreateComparer(step);
        RawReducer reducer = job.Job.CreateReducer(step) ?? new IdentityReducer();
        // More map outputs than one merge may read at once: merge the smallest into intermediate files first.
        IReadOnlyList<string> segments = await Task.Run(
            () => SegmentFiles.MergeDownTo(spec.SegmentFiles, JobSettings.MergeFactorOf(settings), comparer, spec.WorkDirectory, cancellationToken),
            cancellationToken).ConfigureAwait(false);
        long total = 0;
        var readers = new List<SegmentReader>(segments.Count);
        try
        {
            foreach (string file in segments)
            {
                long length = new FileInfo(file).Length;
                total += length;
                readers.Add(new SegmentReader(file, 0, length));
            }
        }
        catch
        {
            readers.ForEach(reader => reader.Dispose());
            throw;
        }
        using var merger = new SegmentMerger(readers, comparer);
        using var output = new TextEmitter(spec.Output, counters);
        var grouped = new GroupedMerge(merger, comparer);
        reporter.Progress(0);
        try
        {
            // The merge is synchronous CPU and file work; keep it off the caller's thread.
            long groups = await Task.Run(() =>
            {
                reducer.Setup(context, output);
                long n = grouped.Run(reducer, output, read =>
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    reporter.Progress(total == 0 ? 0.99 : Math.Min(0.99, (double)read / total));
                });
                reducer.Cleanup(output);
                return n;
            }, cancellationToken).ConfigureAwait(false);
            counters.Add(Counters.ReduceInputGroups, groups);
            counters.Add(Counters.ReduceInputRecords, grouped.Records);
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            (reducer as IDisposable)?.Dispose();
        }
        reporter.Progress(1);
        return new ReduceTaskResult { Counters = counters.Snapshot() };
    }
}
