using System.Text;

namespace Colony.Compat.Tests;

/// <summary>
/// The checked-in transcripts in tests/compat/expected, recorded from Apache ZooKeeper. A server is
/// compatible when every scenario reproduces its golden exactly.
/// To record them again from the reference, run the reference tests with COLONY_COMPAT_UPDATE=1 and
/// review the diff before committing it; never record them from the server under test.
/// </summary>
public static class Golden
{
    public const string UpdateVariable = "COLONY_COMPAT_UPDATE";

    public static string PathOf(string name) => Path.Combine(CompatPaths.Expected, name + ".txt");

    /// <summary>Fails unless the run succeeded and its transcript equals the golden of the same name.</summary>
    public static void AssertMatches(ScenarioResult result)
    {
        Assert.True(result.Succeeded, result.Describe());
        var path = PathOf(result.Name);
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            Directory.CreateDirectory(CompatPaths.Expected);
            File.WriteAllText(path, result.Transcript);
        }
        Assert.True(File.Exists(path), $"no golden transcript {path}; record it from the reference with {UpdateVariable}=1");
        var difference = Compare(File.ReadAllText(path), result.Transcript);
        Assert.True(difference is null, $"transcript of {result.Name} differs from {path}:\n{difference}\n{result.Describe()}");
    }

    /// <summary>
    /// Null when both transcripts have the same lines (line endings aside), else a description of the
    /// first difference with the lines around it.
    /// </summary>
    public static string? Compare(string expected, string actual)
    {
        var want = Lines(expected);
        var got = Lines(actual);
        var first = 0;
        while (first < want.Length && first < got.Length && want[first] == got[first])
        {
            first++;
        }
        if (first == want.Length && first == got.Length)
        {
            return null;
        }
        var text = new StringBuilder()
            .AppendLine($"first difference at line {first + 1} (expected {want.Length} lines, got {got.Length})");
        for (var i = Math.Max(0, first - 3); i < first; i++)
        {
            text.AppendLine($"    {want[i]}");
        }
        text.AppendLine($"  - {(first < want.Length ? want[first] : "<end>")}");
        text.AppendLine($"  + {(first < got.Length ? got[first] : "<end>")}");
        return text.ToString();
    }

    private static string[] Lines(string text) =>
        text.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n').Split('\n');
}
