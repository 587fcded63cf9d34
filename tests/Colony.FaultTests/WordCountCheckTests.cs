using System.Text;
using Colony.Client.MapReduce;
using Colony.FaultTests.Workloads;

namespace Colony.FaultTests;

public sealed class WordCountCheckTests
{
    private static readonly byte[] Input = Encoding.UTF8.GetBytes("the colony\r\n\tthe  raft\nkůň the\n\nend");

    [Fact]
    public void The_expected_parts_are_the_counts_split_by_hash_and_sorted_by_bytes()
    {
        var parts = WordCountCheck.ExpectedParts(Input, 1);
        // "kůň" is UTF-8 bytes 6B C5 AF C5 88, after every ASCII letter.
        Assert.Equal("colony\t1\nend\t1\nkůň\t1\nraft\t1\nthe\t3\n", Encoding.UTF8.GetString(Assert.Single(parts)));

        var two = WordCountCheck.ExpectedParts(Input, 2);
        Assert.Equal(["end\t1\nraft\t1\nthe\t3\n", "colony\t1\nkůň\t1\n"], two.Select(p => Encoding.UTF8.GetString(p)));
        foreach (var (part, index) in two.Select((p, i) => (p, i)))
        {
            foreach (var line in Encoding.UTF8.GetString(part).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                Assert.Equal(index, HashPartitioner.Instance.GetPartition(Encoding.UTF8.GetBytes(line[..line.IndexOf('\t', StringComparison.Ordinal)]), 2));
            }
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("the")]
    [InlineData("žluťoučký")]
    [InlineData("ends.")]
    public void The_independent_hash_is_the_engines_partitioner(string word)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(word);
        Assert.Equal(HashPartitioner.Hash(bytes), WordCountCheck.Fnv1a(bytes));
    }

    [Fact]
    public void A_frozen_hash_pins_the_partition_function()
    {
        // FNV-1a of "the": a change of partitioner would move words between parts.
        Assert.Equal(0xb40eb21cu, WordCountCheck.Fnv1a("the"u8));
    }

    [Fact]
    public void Jobs_that_succeeded_with_the_undisturbed_output_are_valid_and_unanswered_submissions_are_not_judged()
    {
        var expected = WordCountCheck.ExpectedParts(Input, 2);
        var (verdict, lost) = WordCountCheck.Check(
            [Succeeded("j1", expected), new ComputeJobOutcome("/out-2", null, "never accepted", "timeout", new Dictionary<string, byte[]>())],
            expected, failuresExcused: false);
        Assert.True(verdict.Valid, verdict.ToString());
        Assert.Equal(0, lost);
        Assert.Contains("1 jobs accepted, 1 completed", verdict.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_part_one_byte_off_a_missing_part_or_a_missing_success_marker_is_a_violation()
    {
        var expected = WordCountCheck.ExpectedParts(Input, 2);
        byte[] changed = [.. expected[1]];
        changed[^2] ^= 1;
        var noSuccess = Succeeded("j3", expected);
        var (verdict, lost) = WordCountCheck.Check(
            [
                Succeeded("j1", [expected[0], changed]),
                new ComputeJobOutcome("/out-j2", "j2", "succeeded", null, new Dictionary<string, byte[]> { ["part-00000"] = expected[0], ["_SUCCESS"] = [] }),
                noSuccess with { Files = noSuccess.Files.Where(f => f.Key != "_SUCCESS").ToDictionary() },
            ],
            expected, failuresExcused: false);
        Assert.False(verdict.Valid);
        Assert.Equal(3, lost);
        Assert.Contains("j1 (/out-j1) succeeded, but part-00001", verdict.Detail, StringComparison.Ordinal);
        Assert.Contains("j2 (/out-j2) succeeded with files [_SUCCESS, part-00000]", verdict.Detail, StringComparison.Ordinal);
        Assert.Contains("j3", verdict.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_failed_or_unfinished_job_is_a_violation_unless_a_full_disk_excuses_the_failure()
    {
        var expected = WordCountCheck.ExpectedParts(Input, 1);
        var failed = new ComputeJobOutcome("/out-1", "j1", "failed", "map failed 4 times", new Dictionary<string, byte[]>());
        var running = new ComputeJobOutcome("/out-2", "j2", "running", null, new Dictionary<string, byte[]>());

        var (strict, lost) = WordCountCheck.Check([failed, running], expected, failuresExcused: false);
        Assert.False(strict.Valid);
        Assert.Equal(2, lost);
        Assert.Contains("j1 (/out-1) ended failed: map failed 4 times", strict.Detail, StringComparison.Ordinal);
        Assert.Contains("j2 (/out-2) ended running", strict.Detail, StringComparison.Ordinal);

        var (excused, _) = WordCountCheck.Check([failed], expected, failuresExcused: true);
        Assert.True(excused.Valid, excused.ToString());
        Assert.Contains("not judged: j1 failed under a full disk", excused.Detail, StringComparison.Ordinal);
        // A full disk excuses a failure, never a job left unfinished.
        Assert.False(WordCountCheck.Check([running], expected, failuresExcused: true).Verdict.Valid);
    }

    private static ComputeJobOutcome Succeeded(string id, IReadOnlyList<byte[]> parts)
    {
        var files = parts.Select((p, i) => (WordCountCheck.PartName(i), p)).ToDictionary(f => f.Item1, f => f.p);
        files[WordCountCheck.Success] = [];
        return new ComputeJobOutcome($"/out-{id}", id, "succeeded", null, files);
    }
}
