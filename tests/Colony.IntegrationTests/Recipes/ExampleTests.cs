using Colony.Testing;
using Xunit.Abstractions;

namespace Colony.IntegrationTests.Recipes;

/// <summary>The programs in examples/ run against a real cluster and report exact counts.</summary>
[Collection(RecipeCollection.Name)]
public class ExampleTests(RecipeCluster fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Generous = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task The_python_lock_example_counts_exactly()
    {
        string script = Path.Combine(Workspace.RepositoryRoot, "examples", "python", "locks.py");
        await using var run = ChildProcess.Start("/usr/bin/python3", [script, fixture.ConnectString], Workspace.RepositoryRoot);
        AssertExact(await run.ExitCodeAsync(Generous), run, "10 threads, 3 resources: all counts exact");
    }

    [Fact]
    public async Task The_csharp_lock_example_counts_exactly()
    {
        string program = Path.Combine(ProjectOutputs.Directory(Path.Combine(Workspace.RepositoryRoot, "examples", "csharp", "Locks"), "Locks"), "Locks.dll");
        await using var run = ChildProcess.Start("dotnet", [program, fixture.ConnectString], Workspace.RepositoryRoot);
        AssertExact(await run.ExitCodeAsync(Generous), run, "10 workers, 3 resources: all counts exact");
    }

    private void AssertExact(int exitCode, ChildProcess run, string summary)
    {
        output.WriteLine(run.Output);
        Assert.True(exitCode == 0, run.ToString());
        string[] lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(["alpha: 200 of 200 ok", "beta: 200 of 200 ok", "gamma: 200 of 200 ok", summary], lines);
    }
}
