using System.Diagnostics;
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
        // Built in the tests' own configuration, so the client library it references is already built.
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        string project = Path.Combine(Workspace.RepositoryRoot, "examples", "csharp", "Locks");
        await using (var build = ChildProcess.Start("dotnet", ["build", project, "-c", configuration, "-v", "quiet", "-nologo"], Workspace.RepositoryRoot))
        {
            Assert.True(await build.ExitCodeAsync(Generous) == 0, build.ToString());
        }

        string program = Directory.GetFiles(Path.Combine(project, "bin", configuration), "Locks.dll", SearchOption.AllDirectories).Single();
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
