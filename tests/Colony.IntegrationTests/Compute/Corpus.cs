using System.Text;

namespace Colony.IntegrationTests.Compute;

/// <summary>
/// Test inputs for jobs, and the answers computed here independently of the engine: a word is a run of bytes
/// other than ASCII whitespace, compared as raw bytes (Latin-1 strings keep bytes one to one).
/// </summary>
internal static class Corpus
{
    private static readonly string[] Words =
    [
        "the", "of", "and", "colony", "raft", "block", "žluťoučký", "kůň", "日本語", "emoji😀", "naïve", "façade", "x", "Ünïcödé",
        "tab-free", "MixedCase", "mixedcase", "a-b", "1234", "ends.", "quote\"s", "ÅÄÖ",
    ];

    /// <summary>Text with empty lines, runs of spaces and tabs, CRLF endings, Unicode, and lines longer than a block.</summary>
    public static byte[] Text(int bytes, int seed, int blockSize)
    {
        var random = new Random(seed);
        var text = new StringBuilder(bytes + 1024);
        int line = 0;
        while (Encoding.UTF8.GetByteCount(text.ToString()) < bytes)
        {
            int words = (line % 97) switch
            {
                0 => 0, // an empty line
                1 => (blockSize / 5) + random.Next(1000), // a line that spans a block boundary or two
                _ => random.Next(1, 25),
            };
            for (int w = 0; w < words; w++)
            {
                // Zipf-ish: low indexes are far more likely.
                int index = (int)Math.Min(Words.Length - 1, Math.Floor(Math.Pow(random.NextDouble(), 3) * Words.Length));
                text.Append(Words[index]);
                text.Append(random.Next(10) switch { 0 => "  ", 1 => "\t", _ => " " });
            }
            text.Append(line % 13 == 0 ? "\r\n" : "\n");
            line++;
        }
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>Fixed-width records for sort: a 10-byte key, a payload, a newline.</summary>
    public static byte[] Records(int count, int seed)
    {
        var random = new Random(seed);
        var text = new StringBuilder(count * 100);
        for (int i = 0; i < count; i++)
        {
            for (int k = 0; k < 10; k++)
            {
                text.Append((char)random.Next('!', '~' + 1));
            }
            text.Append(' ').Append(i.ToString("D12", System.Globalization.CultureInfo.InvariantCulture)).Append(new string('p', 76)).Append('\n');
        }
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    public static Dictionary<string, long> WordCounts(byte[] text)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        int start = -1;
        for (int i = 0; i <= text.Length; i++)
        {
            bool space = i == text.Length || text[i] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or 0x0B or 0x0C;
            if (space && start >= 0)
            {
                string word = Encoding.Latin1.GetString(text, start, i - start);
                counts[word] = counts.GetValueOrDefault(word) + 1;
                start = -1;
            }
            else if (!space && start < 0)
            {
                start = i;
            }
        }
        return counts;
    }

    /// <summary>Parses key TAB count lines, failing on anything else.</summary>
    public static Dictionary<string, long> ParseCounts(byte[] output)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string line in Encoding.Latin1.GetString(output).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int tab = line.LastIndexOf('\t');
            Assert.True(tab > 0, $"not a key<TAB>count line: {line}");
            Assert.False(counts.ContainsKey(line[..tab]), $"{line[..tab]} appears twice in the output");
            counts[line[..tab]] = long.Parse(line[(tab + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        }
        return counts;
    }
}
