namespace Colony.Compat.Tests;

/// <summary>
/// Where the scenarios and golden transcripts live: tests/compat in the source tree, found from the
/// test assembly's folder. The goldens are read from (and rewritten into) the source tree itself.
/// </summary>
public static class CompatPaths
{
    private static readonly Lazy<string> RootPath = new(FindRoot);

    /// <summary>The tests/compat folder.</summary>
    public static string Root => RootPath.Value;

    public static string Kazoo => Path.Combine(Root, "kazoo");

    /// <summary>Kazoo scenarios for the client recipes, driven by tests rather than compared with goldens.</summary>
    public static string Recipes => Path.Combine(Root, "recipes");

    public static string Cli => Path.Combine(Root, "zkcli");

    public static string Expected => Path.Combine(Root, "expected");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "compat");
            if (File.Exists(Path.Combine(candidate, "kazoo", "scenario.py")))
            {
                return candidate;
            }
        }
        throw new InvalidOperationException($"tests/compat not found above {AppContext.BaseDirectory}");
    }
}
