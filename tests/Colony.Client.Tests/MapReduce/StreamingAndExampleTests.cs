using Colony.Client.MapReduce;
using Colony.Testing;

namespace Colony.Client.Tests.MapReduce;

public sealed class StreamingAndExampleTests
{
    private static readonly string Root = FindRoot();
    private static readonly string PythonExamples = Path.Combine(Root, "examples", "python", "mapreduce");

    [Fact]
    public async Task The_Python_streaming_word_count_equals_coreutils()
    {
        using var temp = new TempDirectory();
        string input = Corpora.Write(temp.Path, "in.txt", seed: 11, lines: 5000);
        using LoadedJob job = JobLoader.Load(
            new Dictionary<string, string>
            {
                [JobSettings.StreamingMapper] = "python3 mapper.py",
                [JobSettings.StreamingReducer] = "python3 reducer.py",
            },
            PythonExamples);

        LocalJobResult result = await Corpora.RunAsync(job, [input], temp.Sub("out"), reducers: 2, split: 300_007);

        Assert.Equal(
            Corpora.CoreutilsWordCount([input]).OrderBy(p => p.Key, StringComparer.Ordinal),
            Corpora.ReadCounts(result.OutputFiles).OrderBy(p => p.Key, StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_mrjob_style_word_count_runs_as_streaming_with_a_combiner()
    {
        using var temp = new TempDirectory();
        string input = Corpora.Write(temp.Path, "in.txt", seed: 12, lines: 3000, crlf: true, longLine: false);
        using LoadedJob job = JobLoader.Load(
            new Dictionary<string, string>
            {
                [JobSettings.StreamingMapper] = "python3 mrjob_wordcount.py --step-num 0 --mapper",
                [JobSettings.StreamingCombiner] = "python3 mrjob_wordcount.py --step-num 0 --combiner",
                [JobSettings.StreamingReducer] = "python3 mrjob_wordcount.py --step-num 0 --reducer",
            },
            PythonExamples);

        LocalJobResult result = await Corpora.RunAsync(job, [input], temp.Sub("out"), reducers: 1, split: 50_021);

        Assert.Equal(
            Corpora.DictionaryWordCount([input]).OrderBy(p => p.Key, StringComparer.Ordinal),
            Corpora.ReadCounts(result.OutputFiles).OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.True(result.Counters[Counters.CombineOutputRecords] < result.Counters[Counters.CombineInputRecords]);
    }

    [Fact]
    public async Task A_streaming_map_with_a_large_output_does_not_deadlock()
    {
        using var temp = new TempDirectory();
        string input = Path.Combine(temp.Path, "in.txt");
        File.WriteAllLines(input, Enumerable.Range(0, 20).Select(i => $"k{i}"));
        // Each input line makes 5 MB of output, far beyond a pipe's buffer, before the next line is read.
        using LoadedJob job = JobLoader.Load(
            new Dictionary<string, string>
            {
                [JobSettings.StreamingMapper] = "python3 -c \"import sys\nfor l in sys.stdin: sys.stdout.write((l.strip() + '\\tv' * 1 + '\\n') * 50000)\"",
                [JobSettings.StreamingReducer] = "uniq -c",
            },
            temp.Path);

        LocalJobResult result = await Corpora.RunAsync(job, [input], temp.Sub("out"), reducers: 1);

        string[] lines = File.ReadAllLines(result.OutputFiles[0]);
        Assert.Equal(20, lines.Length);
        Assert.All(lines, line => Assert.StartsWith("50000 k", line.TrimStart()));
    }

    [Fact]
    public async Task A_failing_command_names_itself_its_exit_code_and_its_stderr()
    {
        using var temp = new TempDirectory();
        string input = Path.Combine(temp.Path, "in.txt");
        File.WriteAllLines(input, ["a", "b"]);
        using LoadedJob job = JobLoader.Load(
            new Dictionary<string, string> { [JobSettings.StreamingMapper] = "cat >/dev/null; echo 'bad input here' >&2; exit 3" },
            temp.Path);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Corpora.RunAsync(job, [input], temp.Sub("out"), reducers: 1));

        Assert.Contains("cat >/dev/null", error.Message);
        Assert.Contains("code 3", error.Message);
        Assert.Contains("bad input here", error.Message);
    }

    [Fact]
    public async Task The_CSharp_word_count_assembly_loads_in_its_own_context_and_equals_coreutils()
    {
        using var temp = new TempDirectory();
        string jobDirectory = BuildExample("WordCount");
        string input = Corpora.Write(temp.Path, "in.txt", seed: 13, lines: 5000);
        var settings = new Dictionary<string, string> { [JobSettings.AssemblyFile] = "WordCount.dll" };

        LoadedJob job = JobLoader.Load(settings, jobDirectory);
        LocalJobResult result = await Corpora.RunAsync(job, [input], temp.Sub("out"), reducers: 2, split: 400_009);

        Assert.Equal(
            Corpora.CoreutilsWordCount([input]).OrderBy(p => p.Key, StringComparer.Ordinal),
            Corpora.ReadCounts(result.OutputFiles).OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.NotEqual(System.Runtime.Loader.AssemblyLoadContext.Default, System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(job.Job.GetType().Assembly));
        Assert.Same(typeof(MapReduceJob).Assembly, job.Job.GetType().BaseType!.BaseType!.Assembly);
        job.Dispose();
    }

    [Fact]
    public async Task The_two_step_inverted_index_maps_each_word_to_its_files()
    {
        using var temp = new TempDirectory();
        string jobDirectory = BuildExample("InvertedIndex");
        Directory.CreateDirectory(temp.Sub("in"));
        string[] inputs = [Path.Combine(temp.Sub("in"), "doc1.txt"), Path.Combine(temp.Sub("in"), "doc2.txt"), Path.Combine(temp.Sub("in"), "doc3.txt")];
        File.WriteAllText(inputs[0], "the cat sat\non the mat\n");
        File.WriteAllText(inputs[1], "the dog\r\n\r\nünïcode dog\n");
        File.WriteAllText(inputs[2], "cat");
        using LoadedJob job = JobLoader.Load(new Dictionary<string, string> { [JobSettings.AssemblyFile] = "InvertedIndex.dll" }, jobDirectory);

        Assert.Equal(2, job.StepCount);
        LocalJobResult result = await Corpora.RunAsync(job, inputs, temp.Sub("out"), reducers: 1, split: 7);

        Assert.Equal(
            [
                "cat\tdoc1.txt:1,doc3.txt:1",
                "dog\tdoc2.txt:2",
                "mat\tdoc1.txt:1",
                "on\tdoc1.txt:1",
                "sat\tdoc1.txt:1",
                "the\tdoc1.txt:2,doc2.txt:1",
                "ünïcode\tdoc2.txt:1",
            ],
            File.ReadAllLines(result.OutputFiles[0]));
    }

    [Fact]
    public void An_unknown_job_is_refused_with_what_to_set()
    {
        var error = Assert.Throws<ArgumentException>(() => JobLoader.Load(new Dictionary<string, string>(), "."));
        Assert.Contains(JobSettings.BuiltIn, error.Message);
        Assert.Throws<ArgumentException>(() => JobLoader.Load(new Dictionary<string, string> { [JobSettings.BuiltIn] = "nope" }, "."));
    }

    /// <summary>The example's build output: its directory is what a user would ship as the job.</summary>
    private static string BuildExample(string name) => ProjectOutputs.Directory(Path.Combine(Root, "examples", "csharp", name), name);

    private static string FindRoot()
    {
        string? directory = AppContext.BaseDirectory;
        while (directory is not null && !Directory.Exists(Path.Combine(directory, "examples", "python", "mapreduce")))
        {
            directory = Path.GetDirectoryName(directory);
        }
        return directory ?? throw new InvalidOperationException("The repository root was not found.");
    }
}
