using System.Diagnostics;

namespace Colony.IntegrationTests.Recipes;

/// <summary>A scratch directory for one test's files (counters, logs, flags), deleted afterwards.</summary>
internal sealed class Workspace : IDisposable
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("colony-recipes-").FullName;

    public string PathOf(string name) => Path.Combine(Directory, name);

    public string Read(string name) => File.Exists(PathOf(name)) ? File.ReadAllText(PathOf(name)) : "";

    public string[] Lines(string name) => Read(name).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public void Touch(string name) => File.WriteAllText(PathOf(name), "");

    /// <summary>The repository's root, where examples/ and the CLI's sources live.</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Colony.slnx")))
                {
                    return dir.FullName;
                }
            }
            throw new InvalidOperationException($"Colony.slnx not found above {AppContext.BaseDirectory}");
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; fails the test after <paramref name="timeout"/>.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var elapsed = Stopwatch.StartNew();
        while (!condition())
        {
            if (elapsed.Elapsed > timeout)
            {
                throw new TimeoutException($"timed out after {timeout.TotalSeconds:0} s waiting for {what}");
            }
            await Task.Delay(50);
        }
    }

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var elapsed = Stopwatch.StartNew();
        while (!await condition())
        {
            if (elapsed.Elapsed > timeout)
            {
                throw new TimeoutException($"timed out after {timeout.TotalSeconds:0} s waiting for {what}");
            }
            await Task.Delay(50);
        }
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A straggling child may still hold a file; the temp folder is cleaned eventually.
        }
    }
}
