namespace Colony.Client.MapReduce;

/// <summary>Names of the job settings the engine reads.</summary>
public static class JobSettings
{
    /// <summary>A built-in job: "wordcount", "grep" or "sort".</summary>
    public const string BuiltIn = "colony.job.builtin";

    /// <summary>
    /// The .NET regular expression grep matches against each line (without its line ending). Grep's
    /// output is "line TAB count": each distinct matching line once, with how many times it occurs.
    /// </summary>
    public const string GrepPattern = "colony.grep.pattern";

    /// <summary>File name of the job assembly inside the local job directory.</summary>
    public const string AssemblyFile = "colony.job.assembly";

    /// <summary>Full name of the <see cref="MapReduceJob"/> type in the job assembly (optional when it holds exactly one).</summary>
    public const string JobType = "colony.job.type";

    /// <summary>Shell command of a streaming mapper, run with /bin/sh -c in the job directory.</summary>
    public const string StreamingMapper = "colony.streaming.mapper";

    /// <summary>Shell command of a streaming reducer.</summary>
    public const string StreamingReducer = "colony.streaming.reducer";

    /// <summary>Shell command of a streaming combiner.</summary>
    public const string StreamingCombiner = "colony.streaming.combiner";

    /// <summary>The 0-based step of a multi-step job this task belongs to.</summary>
    public const string Step = "colony.job.step";

    /// <summary>Sort's range partition boundaries: hex-encoded keys separated by commas, written by sort's preparation.</summary>
    public const string SortBoundaries = "colony.sort.boundaries";

    /// <summary>How many keys sort's preparation samples from the inputs (default 10 000).</summary>
    public const string SortSampleSize = "colony.sort.samples";

    /// <summary>
    /// How many sorted runs one merge reads at once (default 64, at least 2). A map with more spills, or a reduce
    /// with more map outputs, merges in passes, so open files and read buffers stay bounded however large the job.
    /// </summary>
    public const string MergeFactor = "colony.merge.factor";

    /// <summary>The <see cref="MergeFactor"/> of these settings.</summary>
    public static int MergeFactorOf(IReadOnlyDictionary<string, string> settings) =>
        settings.TryGetValue(MergeFactor, out string? text) && int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int factor)
            ? Math.Max(2, factor)
            : DefaultMergeFactor;

    public const int DefaultMergeFactor = 64;
}
