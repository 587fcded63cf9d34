using System.Globalization;

namespace Colony.Client.MapReduce;

/// <summary>What a local run produced.</summary>
public sealed class LocalJobResult
{
    /// <summary>The final step's part files, in partition order.</summary>
    public required IReadOnlyList<string> OutputFiles { get; init; }

    /// <summary>Counters summed over every task of every step.</summary>
    public required IReadOnlyDictionary<string, long> Counters { get; init; }
}

/// <summary>
/// Runs a whole job in this process over local files: splits each input every <see cref="SplitBytes"/>,
/// maps splits in parallel, shuffles through local segment files, reduces partitions in parallel and
/// writes part-00000, part-00001, ... to the output directory. A multi-step job's step n reads the part
/// files of step n − 1 (kept under the output directory's "_steps" folder).
/// </summary>
public sealed class LocalJobRunner
{
    /// <summary>How many tasks run at once (the machine's processors by default).</summary>
    public int Parallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>Reduce partitions; 0 runs map-only and writes one part file per split.</summary>
    public int Reducers { get; init; } = 1;

    /// <summary>The split size (64 MiB by default).</summary>
    public long SplitBytes { get; init; } = 64L << 20;

    /// <summary>Each map's sort buffer (64 MiB by default).</summary>
    public long SortBufferBytes { get; init; } = 64L << 20;

    /// <summary>Settings added to the job's own.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    /// <summary>Runs every step of <paramref name="job"/> over <paramref name="inputs"/>.</summary>
    public async Task<LocalJobResult> RunAsync(LoadedJob job, IReadOnlyList<string> inputs, string outputDirectory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(inputs);
        Directory.CreateDirectory(outputDirectory);
        string scratch = Path.Combine(outputDirectory, "_work");
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string key, string value) in job.Settings)
        {
            settings[key] = value;
        }
        foreach ((string key, string value) in Settings)
        {
            settings[key] = value;
        }
        var prepared = await job.PrepareAsync(
            new JobPreparationContext
            {
                Inputs = inputs.Select(path => (path, new FileInfo(path).Length)).ToArray(),
                Reducers = Reducers,
                OpenInput = (path, _) => Task.FromResult<Stream>(File.OpenRead(path)),
                Settings = settings,
            },
            cancellationToken).ConfigureAwait(false);
        foreach ((string key, string value) in prepared)
        {
            settings[key] = value;
        }
        var totals = new Counters();
        IReadOnlyList<string> stepInputs = inputs;
        IReadOnlyList<string> outputs = [];
        for (int step = 0; step < job.StepCount; step++)
        {
            settings[JobSettings.Step] = step.ToString(CultureInfo.InvariantCulture);
            bool last = step == job.StepCount - 1;
            string stepOutput = last ? outputDirectory : Path.Combine(outputDirectory, "_steps", $"step-{step}");
            Directory.CreateDirectory(stepOutput);
            outputs = await RunStepAsync(job, new Dictionary<string, string>(settings), stepInputs, stepOutput, Path.Combine(scratch, $"step-{step}"), totals, cancellationToken).ConfigureAwait(false);
            stepInputs = outputs;
        }
        Directory.Delete(scratch, recursive: true);
        return new LocalJobResult { OutputFiles = outputs, Counters = totals.Snapshot() };
    }

    private async Task<IReadOnlyList<string>> RunStepAsync(
        LoadedJob job, IReadOnlyDictionary<string, string> settings, IReadOnlyList<string> inputs, string outputDirectory,
        string scratch, Counters totals, CancellationToken cancellationToken)
    {
        var splits = new List<(string Path, long Start, long Length)>();
        foreach (string input in inputs)
        {
            long length = new FileInfo(input).Length;
            for (long start = 0; start < length; start += SplitBytes)
            {
                splits.Add((input, start, Math.Min(SplitBytes, length - start)));
            }
        }
        var mapResults = new MapTaskResult[splits.Count];
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Parallelism), CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(Enumerable.Range(0, splits.Count), options, async (m, ct) =>
        {
            string work = Path.Combine(scratch, $"map-{m:D5}");
            Directory.CreateDirectory(work);
            await using var input = new FileStream(splits[m].Path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
            await using FileStream? mapOnly = Reducers == 0 ? File.Create(PartPath(outputDirectory, m)) : null;
            mapResults[m] = await Task.Run(() => MapTaskRunner.RunAsync(
                new MapTaskSpec
                {
                    Job = job,
                    TaskId = $"m{m:D5}",
                    Input = input,
                    InputPath = splits[m].Path,
                    SplitStart = splits[m].Start,
                    SplitLength = splits[m].Length,
                    Reducers = Reducers,
                    WorkDirectory = work,
                    MapOnlyOutput = mapOnly,
                    SortBufferBytes = SortBufferBytes,
                    Settings = settings,
                },
                NullTaskReporter.Instance, ct), ct).ConfigureAwait(false);
        }).ConfigureAwait(false);
        foreach (MapTaskResult result in mapResults)
        {
            Add(totals, result.Counters);
        }
        if (Reducers == 0)
        {
            return Enumerable.Range(0, splits.Count).Select(m => PartPath(outputDirectory, m)).ToArray();
        }
        var indexes = mapResults.Select(r => MapOutputFile.ReadIndex(r.IndexFile!)).ToArray();
        await Parallel.ForEachAsync(Enumerable.Range(0, Reducers), options, async (p, ct) =>
        {
            string work = Path.Combine(scratch, $"reduce-{p:D5}");
            Directory.CreateDirectory(work);
            var segments = new List<string>(mapResults.Length);
            for (int m = 0; m < mapResults.Length; m++)
            {
                // The shuffle: each map's partition p becomes one local segment file, as a fetch would.
                string segment = Path.Combine(work, $"map-{m:D5}.seg");
                await CopyRangeAsync(mapResults[m].OutputFile!, indexes[m][p].Offset, indexes[m][p].Length, segment, ct).ConfigureAwait(false);
                segments.Add(segment);
            }
            await using var output = new FileStream(PartPath(outputDirectory, p), FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1);
            ReduceTaskResult result = await ReduceTaskRunner.RunAsync(
                new ReduceTaskSpec
                {
                    Job = job,
                    TaskId = $"r{p:D5}",
                    Partition = p,
                    SegmentFiles = segments,
                    Output = output,
                    WorkDirectory = work,
                    Settings = settings,
                },
                NullTaskReporter.Instance, ct).ConfigureAwait(false);
            Add(totals, result.Counters);
            segments.ForEach(File.Delete);
        }).ConfigureAwait(false);
        return Enumerable.Range(0, Reducers).Select(p => PartPath(outputDirectory, p)).ToArray();
    }

    private static string PartPath(string directory, int part) => Path.Combine(directory, $"part-{part:D5}");

    private static void Add(Counters totals, IReadOnlyDictionary<string, long> counters)
    {
        foreach ((string name, long value) in counters)
        {
            totals.Add(name, value);
        }
    }

    private static async Task CopyRangeAsync(string source, long offset, long length, string destination, CancellationToken cancellationToken)
    {
        await using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        await using var output = new FileStream(destination, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1);
        input.Position = offset;
        byte[] buffer = new byte[1 << 20];
        while (length > 0)
        {
            int n = await input.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, length)), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new EndOfStreamException($"{source} ends before its index says.");
            }
            await output.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
            length -= n;
        }
    }
}
