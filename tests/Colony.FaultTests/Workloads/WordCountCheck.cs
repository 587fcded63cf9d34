using System.Globalization;
using System.Text;
using Colony.FaultTests.Campaigns;

namespace Colony.FaultTests.Workloads;

/// <summary>
/// A word-count job the compute workload submitted and what became of it after the heal. A null
/// <see cref="Id"/> is a submission whose outcome stayed unknown and that no job in the cluster
/// answers to: it was never accepted. <see cref="Files"/> holds the output directory's files by name
/// (read whole) when the job succeeded.
/// </summary>
public sealed record ComputeJobOutcome(string Output, string? Id, string State, string? Error, IReadOnlyDictionary<string, byte[]> Files);

/// <summary>
/// Every word count the cluster accepted completes, and its output is byte-identical to the answer an
/// undisturbed run gives, computed here from the same input: words are runs of bytes other than ASCII
/// whitespace; part P holds the words whose FNV-1a hash is P modulo the reducers, sorted by their
/// bytes, one "word TAB count" line each; beside the parts, only _SUCCESS.
/// </summary>
/// <remarks>
/// A job the cluster reports failed is a violation: under one fault at a time on a minority of nodes,
/// the design promises that killing or losing a node costs time, never the job. The one exception is a
/// campaign with the full-disk nemesis (<c>failuresExcused</c>): a full disk fails attempts on its node,
/// and the design counts failed attempts against the task (four fail the job), so such a failure is
/// reported but not judged. A wrong output is a violation whatever the faults.
/// </remarks>
public static class WordCountCheck
{
    public const string Success = "_SUCCESS";

    /// <summary>The parts an undisturbed word count of <paramref name="input"/> with <paramref name="reducers"/> reduces writes.</summary>
    public static IReadOnlyList<byte[]> ExpectedParts(byte[] input, int reducers)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        int start = -1;
        for (int i = 0; i <= input.Length; i++)
        {
            bool space = i == input.Length || input[i] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or 0x0B or 0x0C;
            if (space && start >= 0)
            {
                // Latin-1 keeps bytes one to one, so ordinal order is byte order.
                string word = Encoding.Latin1.GetString(input, start, i - start);
                counts[word] = counts.GetValueOrDefault(word) + 1;
                start = -1;
            }
            else if (!space && start < 0)
            {
                start = i;
            }
        }
        var parts = Enumerable.Range(0, reducers).Select(_ => new StringBuilder()).ToArray();
        foreach (var (word, count) in counts.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            parts[Fnv1a(Encoding.Latin1.GetBytes(word)) % (uint)reducers]
                .Append(word).Append('\t').Append(count.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
        return [.. parts.Select(p => Encoding.Latin1.GetBytes(p.ToString()))];
    }

    /// <summary>The name of reduce <paramref name="index"/>'s output file.</summary>
    public static string PartName(int index) => $"part-{index:D5}";

    public static (CheckerVerdict Verdict, int Lost) Check(IReadOnlyList<ComputeJobOutcome> jobs, IReadOnlyList<byte[]> expected, bool failuresExcused)
    {
        var problems = new List<string>();
        var excused = new List<string>();
        int succeeded = 0;
        var names = Enumerable.Range(0, expected.Count).Select(PartName).Append(Success).Order(StringComparer.Ordinal).ToList();
        foreach (var job in jobs.Where(j => j.Id is not null))
        {
            switch (job.State)
            {
                case "succeeded":
                    var found = job.Files.Keys.Order(StringComparer.Ordinal).ToList();
                    if (!found.SequenceEqual(names))
                    {
                        problems.Add($"{job.Id} ({job.Output}) succeeded with files [{string.Join(", ", found)}], not [{string.Join(", ", names)}]");
                        break;
                    }
                    var wrong = Enumerable.Range(0, expected.Count).Where(i => !job.Files[PartName(i)].AsSpan().SequenceEqual(expected[i])).ToList();
                    if (wrong.Count > 0)
                    {
                        problems.Add($"{job.Id} ({job.Output}) succeeded, but {string.Join(", ", wrong.Select(i => $"{PartName(i)} ({job.Files[PartName(i)].Length} bytes, {expected[i].Length} expected)"))} differ from the undisturbed output");
                        break;
                    }
                    succeeded++;
                    break;
                case "failed" when failuresExcused:
                    excused.Add($"{job.Id} failed under a full disk: {job.Error}");
                    break;
                default:
                    problems.Add($"{job.Id} ({job.Output}) ended {job.State}{(job.Error is null ? "" : $": {job.Error}")}");
                    break;
            }
        }
        int accepted = jobs.Count(j => j.Id is not null);
        string detail = problems.Count == 0
            ? $"{accepted} jobs accepted, {succeeded} completed with output byte-identical to the undisturbed run's ({expected.Sum(p => p.Length)} bytes in {expected.Count} parts){(excused.Count == 0 ? "" : $"; not judged: {string.Join("; ", excused)}")}"
            : string.Join("; ", problems.Take(5));
        return (new CheckerVerdict("compute: every accepted word count completed, output identical to an undisturbed run", problems.Count == 0, detail), problems.Count);
    }

    /// <summary>FNV-1a over the key's bytes: the engine's default partitioner, written out here so the answer does not depend on the engine.</summary>
    public static uint Fnv1a(ReadOnlySpan<byte> key)
    {
        uint hash = 2166136261;
        foreach (byte b in key)
        {
            hash = (hash ^ b) * 16777619;
        }
        return hash;
    }
}
