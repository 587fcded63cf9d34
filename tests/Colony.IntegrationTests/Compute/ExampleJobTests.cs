using System.Text;
using Colony.IntegrationTests.Recipes;
using Colony.Testing;
using Xunit.Abstractions;

namespace Colony.IntegrationTests.Compute;

/// <summary>One cluster, with one corpus, for the example jobs.</summary>
public sealed class ExampleCluster : IAsyncLifetime
{
    public static readonly byte[] Text = Corpus.Text(3 * ComputeCluster.Block, seed: 7, ComputeCluster.Block);

    internal ComputeCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = new ComputeCluster(3);
        await Cluster.StartAsync();
        await Cluster.PutAsync("/in/corpus.txt", Text);
        await Cluster.PutAsync("/docs/a.txt", Encoding.UTF8.GetBytes("colony runs jobs\nraft keeps the log\n"));
        await Cluster.PutAsync("/docs/b.txt", Encoding.UTF8.GetBytes("jobs read blocks\ncolony stores blocks\n"));
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>
/// The examples in examples/ run on a real cluster through <c>colony job submit</c>, as a user would run them:
/// the C# job assemblies (word count, and the two-step inverted index) and the Python streaming jobs.
/// </summary>
public class ExampleJobTests(ExampleCluster fixture, ITestOutputHelper output) : IClassFixture<ExampleCluster>
{
    private static readonly string Python = Path.Combine(Workspace.RepositoryRoot, "examples", "python", "mapreduce");

    private ComputeCluster Cluster => fixture.Cluster;

    private static IOrderedEnumerable<KeyValuePair<string, long>> Expected => ComputeCluster.Expected(ExampleCluster.Text);

    [Fact]
    public async Task The_csharp_word_count_assembly_runs_on_the_cluster()
    {
        using var logs = Cluster.DumpLogsOnFailure(output);
        string dll = Path.Combine(BuildExample("WordCount"), "WordCount.dll");
        var (code, text) = await Cluster.CliAsync("job", "submit", "--assembly", dll, "--job", "WordCount.WordCountJob",
            "--input", "/in", "--output", "/out-csharp", "--reducers", "2");
        Assert.True(code == 0, text);
        Assert.Contains("succeeded", text);
        Assert.Equal(Expected, await Cluster.CountsAsync("/out-csharp"));
        logs.Pass();
    }

    [Fact]
    public async Task The_two_step_inverted_index_runs_both_steps_on_the_cluster()
    {
        using var logs = Cluster.DumpLogsOnFailure(output);
        string dll = Path.Combine(BuildExample("InvertedIndex"), "InvertedIndex.dll");
        var (code, text) = await Cluster.CliAsync("job", "submit", "--assembly", dll, "--job", "InvertedIndex.InvertedIndexJob",
            "--input", "/docs", "--output", "/index", "--reducers", "1");
        Assert.True(code == 0, text);
        Assert.NotNull(await Cluster.Fs.StatAsync("/index-step-1/_SUCCESS")); // step 1's output fed step 2
        string index = Encoding.UTF8.GetString((await Cluster.PartsAsync("/index")).Single().Bytes);
        string colony = index.Split('\n').Single(l => l.StartsWith("colony\t", StringComparison.Ordinal));
        Assert.Equal("colony\ta.txt:1,b.txt:1", colony); // its files, with the count in each
        Assert.Equal("blocks\tb.txt:2", index.Split('\n').Single(l => l.StartsWith("blocks\t", StringComparison.Ordinal)));
        string raft = index.Split('\n').Single(l => l.StartsWith("raft\t", StringComparison.Ordinal));
        Assert.Equal("raft\ta.txt:1", raft);
        logs.Pass();
    }

    [Fact]
    public async Task The_python_streaming_word_count_runs_on_the_cluster()
    {
        using var logs = Cluster.DumpLogsOnFailure(output);
        var (code, text) = await Cluster.CliAsync("job", "submit", "--mapper", "/usr/bin/python3 mapper.py", "--reducer", "/usr/bin/python3 reducer.py",
            "--file", Path.Combine(Python, "mapper.py"), "--file", Path.Combine(Python, "reducer.py"),
            "--input", "/in", "--output", "/out-streaming", "--reducers", "2");
        Assert.True(code == 0, text);
        Assert.Equal(Expected, await Cluster.CountsAsync("/out-streaming"));
        logs.Pass();
    }

    [Fact]
    public async Task The_mrjob_style_word_count_runs_as_streaming_on_the_cluster()
    {
        using var logs = Cluster.DumpLogsOnFailure(output);
        const string Script = "/usr/bin/python3 mrjob_wordcount.py --step-num 0";
        var (code, text) = await Cluster.CliAsync("job", "submit", "--mapper", $"{Script} --mapper", "--combiner", $"{Script} --combiner",
            "--reducer", $"{Script} --reducer", "--file", Path.Combine(Python, "mrjob_wordcount.py"),
            "--input", "/in", "--output", "/out-mrjob", "--reducers", "2");
        Assert.True(code == 0, text);
        Assert.Equal(Expected, await Cluster.CountsAsync("/out-mrjob"));
        logs.Pass();
    }

    private static string BuildExample(string name) => ProjectOutputs.Directory(Path.Combine(Workspace.RepositoryRoot, "examples", "csharp", name), name);
}
