using System.Text;
using Colony.Client.MapReduce;

namespace Colony.Client.Tests.MapReduce;

public sealed class EngineTests
{
    [Fact]
    public async Task Built_in_word_count_equals_coreutils_on_a_corpus_with_empty_long_and_Unicode_lines()
    {
        using var temp = new TempDirectory();
        string[] inputs = [Corpora.Write(temp.Path, "one.txt", seed: 1), Corpora.Write(temp.Path, "two.txt", seed: 2, longLine: false)];

        LocalJobResult result = await Corpora.RunAsync(new WordCountJob(), inputs, temp.Sub("out"));

        Dictionary<string, long> expected = Corpora.CoreutilsWordCount(inputs);
        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), Corpora.ReadCounts(result.OutputFiles).OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.Equal(["part-00000", "part-00001", "part-00002"], result.OutputFiles.Select(Path.GetFileName));
        Assert.Equal(expected.Count, result.Counters[Counters.ReduceOutputRecords]);
        Assert.Equal(expected.Count, result.Counters[Counters.ReduceInputGroups]);
        Assert.Equal(inputs.Sum(f => new FileInfo(f).Length), result.Counters[Counters.MapInputBytes]);
        Assert.Equal(inputs.Sum(f => Corpora.ReadLines(f).Count), result.Counters[Counters.MapInputRecords]);
        Assert.False(Directory.Exists(Path.Combine(temp.Sub("out"), "_work")));
    }

    [Fact]
    public async Task Each_part_file_is_sorted_by_key_bytes()
    {
        using var temp = new TempDirectory();
        string input = Corpora.Write(temp.Path, "in.txt", seed: 3, lines: 3000, longLine: false);

        LocalJobResult result = await Corpora.RunAsync(new WordCountJob(), [input], temp.Sub("out"), reducers: 2, split: 10_007);

        foreach (string part in result.OutputFiles)
        {
            byte[][] keys = File.ReadAllBytes(part).AsSpan().ToArray().Aggregate(new List<List<byte>> { new() }, (acc, b) =>
            {
                if (b == '\n') { acc.Add([]); } else { acc[^1].Add(b); }
                return acc;
            }).Where(l => l.Count > 0).Select(l => l.TakeWhile(b => b != '\t').ToArray()).ToArray();
            for (int i = 1; i < keys.Length; i++)
            {
                Assert.True(keys[i - 1].AsSpan().SequenceCompareTo(keys[i]) < 0);
            }
        }
    }

    [Fact]
    public async Task Word_count_on_CRLF_text_with_tiny_splits_equals_a_dictionary_count()
    {
        using var temp = new TempDirectory();
        string input = Corpora.Write(temp.Path, "crlf.txt", seed: 4, lines: 2000, crlf: true, longLine: false);

        LocalJobResult result = await Corpora.RunAsync(new WordCountJob(), [input], temp.Sub("out"), reducers: 1, split: 997);

        Assert.Equal(
            Corpora.DictionaryWordCount([input]).OrderBy(p => p.Key, StringComparer.Ordinal),
            Corpora.ReadCounts(result.OutputFiles).OrderBy(p => p.Key, StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_typed_job_that_emits_every_word_spills_many_times_and_still_counts_exactly()
    {
        using var temp = new TempDirectory();
        string input = Corpora.Write(temp.Path, "in.txt", seed: 5, lines: 20_000, longLine: false);

        // One split and a 64 KiB sort buffer: dozens of spills merged into one map output.
        LocalJobResult result = await Corpora.RunAsync(new TypedWordCount(), [input], temp.Sub("out"), reducers: 2, split: 1L << 30);

        Assert.Equal(
            Corpora.DictionaryWordCount([input]).OrderBy(p => p.Key, StringComparer.Ordinal),
            Corpora.ReadCounts(result.OutputFiles).OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.True(result.Counters[Counters.SpilledRecords] > result.Counters[Counters.ReduceInputRecords]);
        Assert.Equal(Corpora.DictionaryWordCount([input]).Values.Sum(), result.Counters[Counters.MapOutputRecords]);
        Assert.Equal(Corpora.ReadLines(input).Count, result.Counters["Words.Lines"]);
    }

    [Fact]
    public async Task A_small_merge_factor_merges_spills_and_map_outputs_in_passes_with_the_same_result()
    {
        using var temp = new TempDirectory();
        string input = Corpora.Write(temp.Path, "in.txt", seed: 6, lines: 20_000, longLine: false);

        // Dozens of spills per map, and a dozen maps per reduce, merged three at a time.
        var inPasses = await Corpora.RunAsync(new TypedWordCount(), [input], temp.Sub("passes"), reducers: 2, split: 200_000,
            settings: new Dictionary<string, string> { [JobSettings.MergeFactor] = "3" });
        var atOnce = await Corpora.RunAsync(new TypedWordCount(), [input], temp.Sub("once"), reducers: 2, split: 200_000);

        var expected = Corpora.DictionaryWordCount([input]).OrderBy(p => p.Key, StringComparer.Ordinal);
        Assert.Equal(expected, Corpora.ReadCounts(inPasses.OutputFiles).OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.Equal(expected, Corpora.ReadCounts(atOnce.OutputFiles).OrderBy(p => p.Key, StringComparer.Ordinal));
        // The intermediate passes wrote their records again.
        Assert.True(inPasses.Counters[Counters.SpilledRecords] > atOnce.Counters[Counters.SpilledRecords]);
        foreach (string part in inPasses.OutputFiles)
        {
            var keys = File.ReadLines(part).Select(l => l[..l.IndexOf('\t', StringComparison.Ordinal)]).ToList();
            Assert.Equal(keys.Order(StringComparer.Ordinal), keys);
        }
    }

    [Fact]
    public void A_reduce_with_more_map_outputs_than_the_factor_merges_them_into_few_sorted_files()
    {
        using var temp = new TempDirectory();
        var random = new Random(3);
        var all = new List<string>();
        var files = new List<string>();
        for (int f = 0; f < 10; f++)
        {
            var keys = Enumerable.Range(0, 50).Select(_ => $"k{random.Next(1000):D4}").Order(StringComparer.Ordinal).ToList();
            all.AddRange(keys);
            string path = temp.Sub($"map{f}.seg");
            using (var file = File.Create(path))
            using (var writer = new SegmentWriter(file))
            {
                foreach (string key in keys)
                {
                    writer.Write(System.Text.Encoding.ASCII.GetBytes(key), [1]);
                }
                writer.EndSegment();
                writer.Flush();
            }
            files.Add(path);
        }

        var merged = SegmentFiles.MergeDownTo(files, 3, null, temp.Path, CancellationToken.None);

        Assert.InRange(merged.Count, 1, 3);
        Assert.All(files, f => Assert.True(File.Exists(f), "the given files are left alone"));
        var readers = merged.Select(f => new SegmentReader(f, 0, new FileInfo(f).Length)).ToList();
        using var merger = new SegmentMerger(readers, null);
        var seen = new List<string>();
        while (merger.MoveNext())
        {
            seen.Add(System.Text.Encoding.ASCII.GetString(merger.Key));
        }
        Assert.Equal(all.Order(StringComparer.Ordinal), seen);
    }

    [Fact]
    public async Task Sort_output_is_globally_sorted_and_a_permutation_of_the_input()
    {
        using var temp = new TempDirectory();
        var random = new Random(6);
        var lines = new List<string>();
        for (int i = 0; i < 30_000; i++)
        {
            int length = random.Next(0, 40);
            // Few distinct leading bytes make ties on the 10-byte key and short lines common.
            lines.Add(new string(Enumerable.Range(0, length).Select(_ => (char)('a' + random.Next(i % 3 == 0 ? 2 : 26))).ToArray()));
        }
        lines.Add("tab\there and ünicode");
        string input = Path.Combine(temp.Path, "in.txt");
        File.WriteAllText(input, string.Join('\n', lines) + "\n");

        LocalJobResult result = await Corpora.RunAsync(new SortJob(), [input], temp.Sub("out"), reducers: 4, split: 50_021);

        List<string> output = result.OutputFiles.SelectMany(Corpora.ReadLines).ToList();
        Assert.Equal(Corpora.ReadLines(input).Order(StringComparer.Ordinal), output.Order(StringComparer.Ordinal));
        for (int i = 1; i < output.Count; i++)
        {
            Assert.True(string.CompareOrdinal(Key(output[i - 1]), Key(output[i])) <= 0, $"line {i} is out of order");
        }
        Assert.All(result.OutputFiles, part => Assert.True(new FileInfo(part).Length > 0, "the sampled boundaries leave no reducer empty"));

        static string Key(string line) => line[..Math.Min(SortJob.KeyLength, line.Length)];
    }

    [Fact]
    public async Task Records_larger_than_the_sort_buffer_and_a_growing_buffer_keep_every_line()
    {
        using var temp = new TempDirectory();
        string input = Path.Combine(temp.Path, "in.txt");
        var lines = Enumerable.Range(0, 60_000).Select(i => $"{(i * 7919) % 60_000:D10} row {i}").ToList();
        lines.Insert(30_000, "zzzzzzzzzz" + new string('x', 300_000));
        File.WriteAllLines(input, lines);

        // 64 KiB: the long line is larger than the whole buffer.
        LocalJobResult small = await Corpora.RunAsync(new SortJob(), [input], temp.Sub("small"), reducers: 2, split: 1L << 30);
        // 8 MiB: the buffer grows from 1 MiB and never spills before the end.
        LocalJobResult grown = await new LocalJobRunner { Parallelism = 1, Reducers = 1, SortBufferBytes = 8 << 20 }
            .RunAsync(LoadedJob.FromJob(new SortJob()), [input], temp.Sub("grown"));

        Assert.Equal(lines.Order(StringComparer.Ordinal), small.OutputFiles.SelectMany(File.ReadAllLines));
        Assert.Equal(lines.Order(StringComparer.Ordinal), File.ReadAllLines(grown.OutputFiles[0]));
        Assert.Equal(lines.Count, grown.Counters[Counters.SpilledRecords]);
        Assert.True(small.Counters[Counters.SpilledRecords] > lines.Count, "the small buffer spilled and merged");
    }

    [Fact]
    public async Task Grep_counts_each_matching_line()
    {
        using var temp = new TempDirectory();
        string input = Path.Combine(temp.Path, "in.txt");
        string[] lines = ["error: disk", "ok", "error: net", "error: disk", "fine", "ERROR: case", "naïve error: ü"];
        File.WriteAllLines(input, lines);

        LocalJobResult result = await Corpora.RunAsync(
            new GrepJob(), [input], temp.Sub("out"), reducers: 1, settings: new Dictionary<string, string> { [JobSettings.GrepPattern] = "^error|ü$" });

        Assert.Equal(["error: disk\t2", "error: net\t1", "naïve error: ü\t1"], File.ReadAllLines(result.OutputFiles[0]));
    }

    [Fact]
    public async Task A_map_only_job_writes_one_text_part_per_split()
    {
        using var temp = new TempDirectory();
        string input = Path.Combine(temp.Path, "in.txt");
        File.WriteAllLines(input, Enumerable.Range(0, 1000).Select(i => $"line {i}"));

        LocalJobResult result = await Corpora.RunAsync(new SortJob(), [input], temp.Sub("out"), reducers: 0, split: 3001);

        Assert.True(result.OutputFiles.Count > 1);
        Assert.Equal(File.ReadAllLines(input), result.OutputFiles.SelectMany(File.ReadAllLines));
    }

    [Fact]
    public async Task Typed_numeric_keys_sort_numerically_negatives_first()
    {
        using var temp = new TempDirectory();
        string input = Path.Combine(temp.Path, "in.txt");
        long[] numbers = [5, -3, 0, long.MinValue, 1_000_000_000_000, -1, long.MaxValue, 42, -3];
        File.WriteAllLines(input, numbers.Select(n => n.ToString()));

        LocalJobResult result = await Corpora.RunAsync(new NumberJob(), [input], temp.Sub("out"), reducers: 1);

        Assert.Equal(numbers.Distinct().Order().Select(n => $"{n}\t{numbers.Count(x => x == n)}"), File.ReadAllLines(result.OutputFiles[0]));
    }

    [Fact]
    public async Task A_custom_comparer_and_partitioner_order_and_route_keys()
    {
        using var temp = new TempDirectory();
        string input = Path.Combine(temp.Path, "in.txt");
        File.WriteAllLines(input, ["b", "A", "a", "C", "B", "c"]);

        LocalJobResult result = await Corpora.RunAsync(new CaseInsensitiveJob(), [input], temp.Sub("out"), reducers: 2);

        // Partition 0 gets the keys before 'b' (any case), in case-insensitive order, grouped together.
        Assert.Equal(["a\t2"], File.ReadAllLines(result.OutputFiles[0]));
        Assert.Equal(["b\t2", "c\t2"], File.ReadAllLines(result.OutputFiles[1]));
    }

    [Fact]
    public async Task Every_split_size_reads_every_line_exactly_once()
    {
        byte[] file = Encoding.UTF8.GetBytes("first\r\n\nsecond line\nx\r\n\r\nlast without newline");
        string[] expected = ["first", "", "second line", "x", "", "last without newline"];
        for (int split = 1; split <= file.Length + 1; split++)
        {
            var lines = new List<string>();
            for (long start = 0; start < file.Length; start += split)
            {
                using var reader = new SplitLineReader(new MemoryStream(file), start, Math.Min(split, file.Length - start), bufferSize: 4);
                while (!reader.Finished)
                {
                    Drain(reader, lines);
                    await reader.FillAsync(CancellationToken.None);
                }
            }
            Assert.Equal(expected, lines);
        }
    }

    [Fact]
    public async Task Map_and_reduce_tasks_run_directly_as_a_node_runs_them()
    {
        using var temp = new TempDirectory();
        string input = Corpora.Write(temp.Path, "in.txt", seed: 8, lines: 4000, longLine: false);
        using LoadedJob job = JobLoader.Load(new Dictionary<string, string> { [JobSettings.BuiltIn] = "wordcount" }, temp.Path);
        long length = new FileInfo(input).Length;
        var reporter = new RecordingReporter();
        var segments = new List<string>();
        for (int m = 0; m < 2; m++)
        {
            string work = Directory.CreateDirectory(temp.Sub($"map{m}")).FullName;
            await using var stream = File.OpenRead(input);
            MapTaskResult mapped = await MapTaskRunner.RunAsync(
                new MapTaskSpec
                {
                    Job = job, TaskId = $"m{m}", Input = stream, InputPath = input, SplitStart = m * (length / 2),
                    SplitLength = m == 0 ? length / 2 : length - length / 2, Reducers = 1, WorkDirectory = work,
                },
                reporter, CancellationToken.None);
            Assert.StartsWith(work, mapped.OutputFile);
            (long offset, long size) = MapOutputFile.ReadIndex(mapped.IndexFile!).Single();
            string segment = temp.Sub($"segment{m}");
            await using (var source = File.OpenRead(mapped.OutputFile!))
            await using (var target = File.Create(segment))
            {
                source.Position = offset;
                byte[] bytes = new byte[size];
                await source.ReadExactlyAsync(bytes);
                await target.WriteAsync(bytes);
            }
            segments.Add(segment);
        }
        var output = new MemoryStream();

        ReduceTaskResult reduced = await ReduceTaskRunner.RunAsync(
            new ReduceTaskSpec { Job = job, TaskId = "r0", Partition = 0, SegmentFiles = segments, Output = output, WorkDirectory = temp.Path },
            reporter, CancellationToken.None);

        File.WriteAllBytes(temp.Sub("part"), output.ToArray());
        Dictionary<string, long> expected = Corpora.DictionaryWordCount([input]);
        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), Corpora.ReadCounts([temp.Sub("part")]).OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.Equal(expected.Count, reduced.Counters[Counters.ReduceOutputRecords]);
        Assert.Equal(1.0, reporter.Values[^1]);
        Assert.All(reporter.Values, v => Assert.InRange(v, 0, 1));

        // A truncated segment fails the reduce instead of silently losing records.
        File.WriteAllBytes(segments[1], File.ReadAllBytes(segments[1])[..^5]);
        await Assert.ThrowsAsync<InvalidDataException>(() => ReduceTaskRunner.RunAsync(
            new ReduceTaskSpec { Job = job, TaskId = "r0b", Partition = 0, SegmentFiles = segments, Output = new MemoryStream(), WorkDirectory = temp.Path },
            reporter, CancellationToken.None));
    }

    private sealed class RecordingReporter : ITaskReporter
    {
        public List<double> Values { get; } = [];

        public void Progress(double fraction) => Values.Add(fraction);
    }

    private static void Drain(SplitLineReader reader, List<string> lines)
    {
        while (reader.TryNextLine(out int offset, out int length))
        {
            lines.Add(Encoding.UTF8.GetString(reader.Buffer, offset, length));
        }
    }

    private sealed class TypedWordCount : Job<TypedWordCount.Words, TypedWordCount.Sum>
    {
        public sealed class Words : Mapper<string, long>
        {
            public override void Map(string line, Output<string, long> output)
            {
                output.Context.Counters.Increment("Words", "Lines");
                foreach (string word in line.Split([' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries))
                {
                    output.Emit(word, 1);
                }
            }
        }

        public sealed class Sum : Reducer<string, long>
        {
            public override void Reduce(string key, IEnumerable<long> values, Output<string, long> output) => output.Emit(key, values.Sum());
        }
    }

    private sealed class NumberJob : Job<NumberJob.Parse, NumberJob.Count>
    {
        public sealed class Parse : Mapper<long, long>
        {
            public override void Map(string line, Output<long, long> output) => output.Emit(long.Parse(line), 1);
        }

        public sealed class Count : Reducer<long, long>
        {
            public override void Reduce(long key, IEnumerable<long> values, Output<long, long> output) => output.Emit(key, values.Sum());
        }
    }

    private sealed class CaseInsensitiveJob : MapReduceJob
    {
        public override RawMapper CreateMapper(int step) => new Identity();

        public override RawReducer? CreateReducer(int step) => new CountLower();

        public override IKeyComparer? CreateComparer(int step) => new IgnoreCase();

        public override IPartitioner CreatePartitioner(int step, IReadOnlyDictionary<string, string> settings) => new BeforeB();

        private sealed class Identity : RawMapper
        {
            public override void Map(ReadOnlySpan<byte> line, Emitter output) => output.Emit(line, []);
        }

        private sealed class CountLower : RawReducer
        {
            public override void Reduce(ReadOnlySpan<byte> key, ReduceValues values, Emitter output)
            {
                int n = 0;
                while (values.MoveNext())
                {
                    n++;
                }
                output.Emit([(byte)char.ToLowerInvariant((char)key[0])], Encoding.ASCII.GetBytes(n.ToString()));
            }
        }

        private sealed class IgnoreCase : IKeyComparer
        {
            public int Compare(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y) => (x[0] | 0x20).CompareTo(y[0] | 0x20);
        }

        private sealed class BeforeB : IPartitioner
        {
            public int GetPartition(ReadOnlySpan<byte> key, int partitions) => (key[0] | 0x20) < 'b' ? 0 : 1;
        }
    }
}
