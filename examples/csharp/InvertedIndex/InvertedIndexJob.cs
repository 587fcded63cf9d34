using Colony.Client.MapReduce;

namespace InvertedIndex;

/// <summary>
/// Two steps. Step 0 counts each word per file: "word TAB file TAB count". Step 1 reads those lines
/// and gathers each word's files: "word TAB file1:count1,file2:count2" with files in name order.
/// </summary>
public sealed class InvertedIndexJob : MapReduceJob
{
    /// <inheritdoc />
    public override int StepCount => 2;

    /// <inheritdoc />
    public override RawMapper CreateMapper(int step) => step == 0 ? new WordInFileMapper() : new PostingMapper();

    /// <inheritdoc />
    public override RawReducer? CreateReducer(int step) => step == 0 ? new CountReducer() : new PostingListReducer();

    /// <inheritdoc />
    public override RawReducer? CreateCombiner(int step) => step == 0 ? new CountReducer() : null;

    /// <summary>Emits ("word TAB file", 1) for every word of a line.</summary>
    public sealed class WordInFileMapper : Mapper<string, long>
    {
        private static readonly char[] Whitespace = [' ', '\t', '\n', '\v', '\f', '\r'];

        /// <inheritdoc />
        public override void Map(string line, Output<string, long> output)
        {
            string file = Path.GetFileName(output.Context.InputPath ?? "");
            foreach (string word in line.Split(Whitespace, StringSplitOptions.RemoveEmptyEntries))
            {
                output.Emit(word + "\t" + file, 1);
            }
        }
    }

    /// <summary>Adds up the counts of a (word, file) pair.</summary>
    public sealed class CountReducer : Reducer<string, long>
    {
        /// <inheritdoc />
        public override void Reduce(string key, IEnumerable<long> values, Output<string, long> output) => output.Emit(key, values.Sum());
    }

    /// <summary>Turns "word TAB file TAB count" into (word, "file:count").</summary>
    public sealed class PostingMapper : Mapper<string, string>
    {
        /// <inheritdoc />
        public override void Map(string line, Output<string, string> output)
        {
            string[] fields = line.Split('\t');
            output.Emit(fields[0], fields[1] + ":" + fields[2]);
        }
    }

    /// <summary>Joins a word's postings, sorted by file name.</summary>
    public sealed class PostingListReducer : Reducer<string, string>
    {
        /// <inheritdoc />
        public override void Reduce(string key, IEnumerable<string> values, Output<string, string> output) =>
            output.Emit(key, string.Join(',', values.Order(StringComparer.Ordinal)));
    }
}
