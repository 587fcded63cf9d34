using System.Diagnostics;
using System.Text;
using Colony.Client.MapReduce;

namespace Colony.Client.Tests.MapReduce;

/// <summary>Test corpora and independent references.</summary>
internal static class Corpora
{
    private static readonly string[] Words =
        ["the", "a", "zebra", "naïve", "café", "日本語", "слово", "emoji😀", "x", "longerwordhere", "Ω", "tab", "ünïcödé", "b", "ab", "abc"];

    /// <summary>A corpus with empty lines, runs of spaces, a line longer than every buffer, and Unicode; spaces and '\n' only.</summary>
    public static string Write(string directory, string name, int seed, int lines = 20_000, bool crlf = false, bool longLine = true)
    {
        var random = new Random(seed);
        var text = new StringBuilder();
        string newline = crlf ? "\r\n" : "\n";
        for (int i = 0; i < lines; i++)
        {
            if (random.Next(10) == 0)
            {
                text.Append(newline);
                continue;
            }
            int count = random.Next(1, 30);
            for (int w = 0; w < count; w++)
            {
                text.Append(Words[Math.Min(Words.Length - 1, (int)(Words.Length * random.NextDouble() * random.NextDouble()))]);
                text.Append(random.Next(8) == 0 ? "  " : " ");
            }
            text.Append(newline);
            if (longLine && i == lines / 2)
            {
                // About 3 MB with no newline: longer than the line reader's 1 MiB buffer and many splits.
                for (int w = 0; w < 400_000; w++)
                {
                    text.Append(Words[w % Words.Length]).Append(' ');
                }
                text.Append(newline);
            }
        }
        text.Append("last line without newline");
        string path = Path.Combine(directory, name);
        File.WriteAllText(path, text.ToString(), new UTF8Encoding(false));
        return path;
    }

    /// <summary>Word counts from coreutils: LC_ALL=C tr -s ' \n' '\n' | sort | uniq -c.</summary>
    public static Dictionary<string, long> CoreutilsWordCount(IEnumerable<string> files)
    {
        string quoted = string.Join(' ', files.Select(f => $"'{f}'"));
        // Each file's last line ends at the end of its file, even without a newline.
        string output = Shell($"for f in {quoted}; do cat \"$f\"; echo; done | LC_ALL=C tr -s ' \\n' '\\n' | LC_ALL=C sort | LC_ALL=C uniq -c");
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string trimmed = line.TrimStart(' ');
            int space = trimmed.IndexOf(' ');
            string word = space < 0 ? "" : trimmed[(space + 1)..];
            if (word.Length > 0)
            {
                counts[word] = long.Parse(trimmed[..(space < 0 ? trimmed.Length : space)]);
            }
        }
        return counts;
    }

    /// <summary>Word counts by a plain dictionary over Latin-1 strings (one char per byte).</summary>
    public static Dictionary<string, long> DictionaryWordCount(IEnumerable<string> files)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string file in files)
        {
            string text = Encoding.Latin1.GetString(File.ReadAllBytes(file));
            foreach (string word in text.Split([' ', '\t', '\n', '\v', '\f', '\r'], StringSplitOptions.RemoveEmptyEntries))
            {
                counts[word] = counts.GetValueOrDefault(word) + 1;
            }
        }
        return counts;
    }

    /// <summary>Parses "word TAB count" part files (Latin-1, byte for byte), failing on a repeated word.</summary>
    public static Dictionary<string, long> ReadCounts(IEnumerable<string> parts)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string part in parts)
        {
            foreach (string line in ReadLines(part))
            {
                int tab = line.LastIndexOf('\t');
                Assert.True(tab > 0, $"'{line}' is not word TAB count");
                Assert.True(counts.TryAdd(line[..tab], long.Parse(line[(tab + 1)..])), $"{line[..tab]} appears twice");
            }
        }
        return counts;
    }

    /// <summary>A file's lines as Latin-1 strings, '\n'-separated, without a final empty line.</summary>
    public static List<string> ReadLines(string file)
    {
        string text = Encoding.Latin1.GetString(File.ReadAllBytes(file));
        var lines = text.Split('\n').ToList();
        if (lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }
        return lines;
    }

    public static string Shell(string command)
    {
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        using Process process = Process.Start(start)!;
        // Latin-1 keeps every byte as one char, matching ReadCounts.
        using var reader = new StreamReader(process.StandardOutput.BaseStream, Encoding.Latin1);
        string output = reader.ReadToEnd();
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        return output;
    }

    public static Task<LocalJobResult> RunAsync(MapReduceJob job, IReadOnlyList<string> inputs, string output, int reducers = 3, long split = 100_003, IReadOnlyDictionary<string, string>? settings = null) =>
        RunAsync(LoadedJob.FromJob(job), inputs, output, reducers, split, settings);

    public static Task<LocalJobResult> RunAsync(LoadedJob job, IReadOnlyList<string> inputs, string output, int reducers = 3, long split = 100_003, IReadOnlyDictionary<string, string>? settings = null) =>
        new LocalJobRunner
        {
            Parallelism = 2,
            Reducers = reducers,
            SplitBytes = split,
            SortBufferBytes = 64 << 10,
            Settings = settings ?? new Dictionary<string, string>(),
        }.RunAsync(job, inputs, output);
}

/// <summary>A temporary directory removed after the test.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "colony-mr-" + Guid.NewGuid().ToString("N"));

    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
