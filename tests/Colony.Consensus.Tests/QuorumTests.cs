using Colony.Consensus;
using Colony.Core;

namespace Colony.Consensus.Tests;

public class QuorumTests
{
    /// <summary>The obvious definition: the largest index that at least a majority has reached.</summary>
    private static ulong NaiveCommitted(ulong[] matches)
    {
        ulong best = 0;
        foreach (ulong candidate in matches)
        {
            if (matches.Count(m => m >= candidate) > matches.Length / 2)
            {
                best = Math.Max(best, candidate);
            }
        }
        return best;
    }

    [Fact]
    public void Committed_index_agrees_with_the_naive_definition_on_random_inputs()
    {
        var random = new SeededRandom(2024);
        for (int i = 0; i < 50_000; i++)
        {
            var matches = new ulong[random.Next(1, 8)];
            for (int j = 0; j < matches.Length; j++)
            {
                matches[j] = (ulong)random.Next(6);
            }
            ulong expected = NaiveCommitted(matches);
            Assert.Equal(expected, Quorum.CommittedIndex(matches.ToArray()));
        }
    }

    [Theory]
    [InlineData(new ulong[] { 5 }, 5UL)]
    [InlineData(new ulong[] { 5, 3 }, 3UL)]
    [InlineData(new ulong[] { 5, 3, 1 }, 3UL)]
    [InlineData(new ulong[] { 9, 9, 1, 1 }, 1UL)]
    [InlineData(new ulong[] { 9, 8, 7, 1, 1 }, 7UL)]
    public void Committed_index_examples(ulong[] matches, ulong expected) =>
        Assert.Equal(expected, Quorum.CommittedIndex(matches));
}
