using Colony.Client.MapReduce;

namespace WordCount;

/// <summary>Word count with the typed API: words split on ASCII whitespace, counted as int64.</summary>
public sealed class WordCountJob : Job<WordCountJob.TokenMapper, WordCountJob.SumReducer>
{
    /// <summary>Summing is associative, so the reducer also combines map output before it spills.</summary>
    protected override bool CombineWithReducer => true;

    /// <summary>Emits (word, 1) for every word of a line.</summary>
    public sealed class TokenMapper : Mapper<string, long>
    {
        private static readonly char[] Whitespace = [' ', '\t', '\n', '\v', '\f', '\r'];

        /// <inheritdoc />
        public override void Map(string line, Output<string, long> output)
        {
            foreach (string word in line.Split(Whitespace, StringSplitOptions.RemoveEmptyEntries))
            {
                output.Emit(word, 1);
            }
        }
    }

    /// <summary>Adds up a word's counts.</summary>
    public sealed class SumReducer : Reducer<string, long>
    {
        /// <inheritdoc />
        public override void Reduce(string key, IEnumerable<long> values, Output<string, long> output)
        {
            long sum = 0;
            foreach (long value in values)
            {
                sum += value;
            }
            output.Emit(key, sum);
        }
    }
}
