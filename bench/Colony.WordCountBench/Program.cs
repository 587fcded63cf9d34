using System.Diagnostics;
using System.Globalization;
using Colony.Client.MapReduce;
using Microsoft.Win32.SafeHandles;

// Word count references: generate a Zipf corpus, count it with a tight single-process counter,
// or run the MapReduce engine over it locally. Each prints MB/s, wall and CPU seconds, and peak memory.
return args.FirstOrDefault() switch
{
    "generate" => await Generate(args),
    "reference" => Reference(args),
    "local" => await Local(args),
    "records" => await Records(args),
    "sort" => await Sort(args),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("""
        usage: Colony.WordCountBench generate --bytes N --out FILE [--seed S]
               Colony.WordCountBench reference FILE [--threads 1|2]
               Colony.WordCountBench local FILE [--parallel 2] [--reducers N] [--split-mib 64] [--out DIR]
               Colony.WordCountBench records --bytes N --out FILE [--seed S]   (100-byte records, 10-byte keys)
               Colony.WordCountBench sort FILE [--parallel 2] [--reducers N] [--split-mib 64] [--out DIR]
        """);
    return 2;
}

static string Option(string[] args, string name, string fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

static async Task<int> Generate(string[] args)
{
    long bytes = long.Parse(Option(args, "--bytes", "0"), CultureInfo.InvariantCulture);
    string output = Option(args, "--out", "");
    if (bytes <= 0 || output.Length == 0)
    {
        return Usage();
    }
    var clock = Stopwatch.StartNew();
    await using (var file = new FileStream(output, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
    {
        await ZipfCorpus.WriteAsync(file, bytes, int.Parse(Option(args, "--seed", "42"), CultureInfo.InvariantCulture));
    }
    Report("generate", bytes, clock.Elapsed, "");
    return 0;
}

static int Reference(string[] args)
{
    string path = args.Length > 1 ? args[1] : "";
    int threads = int.Parse(Option(args, "--threads", "1"), CultureInfo.InvariantCulture);
    if (!File.Exists(path) || threads < 1)
    {
        return Usage();
    }
    var clock = Stopwatch.StartNew();
    using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
    long length = RandomAccess.GetLength(handle);
    var tables = new TightCounter[threads];
    Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
    {
        tables[t] = new TightCounter();
        tables[t].Count(handle, length * t / threads, length * (t + 1) / threads, length);
    });
    for (int t = 1; t < threads; t++)
    {
        tables[0].MergeFrom(tables[t]);
    }
    Report($"reference x{threads}", length, clock.Elapsed, $"{tables[0].Distinct} distinct, {tables[0].Total} words");
    return 0;
}

static async Task<int> Local(string[] args)
{
    string path = args.Length > 1 ? args[1] : "";
    if (!File.Exists(path))
    {
        return Usage();
    }
    string output = Option(args, "--out", Path.Combine(Path.GetTempPath(), "colony-wordcount-" + Environment.ProcessId));
    var runner = new LocalJobRunner
    {
        Parallelism = int.Parse(Option(args, "--parallel", "2"), CultureInfo.InvariantCulture),
        Reducers = int.Parse(Option(args, "--reducers", "2"), CultureInfo.InvariantCulture),
        SplitBytes = long.Parse(Option(args, "--split-mib", "64"), CultureInfo.InvariantCulture) << 20,
    };
    var clock = Stopwatch.StartNew();
    using LoadedJob job = LoadedJob.FromJob(new WordCountJob());
    LocalJobResult result = await runner.RunAsync(job, [path], output);
    TimeSpan elapsed = clock.Elapsed;
    Report($"local x{runner.Parallelism}", new FileInfo(path).Length, elapsed,
        $"{result.Counters[Counters.ReduceOutputRecords]} distinct, {result.OutputFiles.Count} parts in {output}");
    return 0;
}

static async Task<int> Records(string[] args)
{
    long bytes = long.Parse(Option(args, "--bytes", "0"), CultureInfo.InvariantCulture) / 100 * 100;
    string output = Option(args, "--out", "");
    if (bytes <= 0 || output.Length == 0)
    {
        return Usage();
    }
    var clock = Stopwatch.StartNew();
    var random = new Random(int.Parse(Option(args, "--seed", "42"), CultureInfo.InvariantCulture));
    byte[] block = new byte[100 * 10_000];
    long written = 0;
    await using (var file = new FileStream(output, FileMode.Create, FileAccess.Write, FileShare.None, 1))
    {
        while (written < bytes)
        {
            int count = (int)Math.Min(block.Length, bytes - written);
            for (int r = 0; r < count; r += 100)
            {
                // A TeraGen-like record: 10 printable key bytes, a space, a 9-digit row number, filler, '\n'.
                for (int k = 0; k < 10; k++)
                {
                    block[r + k] = (byte)random.Next(33, 127);
                }
                block[r + 10] = (byte)' ';
                long row = (written + r) / 100;
                for (int d = 19; d >= 11; d--, row /= 10)
                {
                    block[r + d] = (byte)('0' + row % 10);
                }
                block.AsSpan(r + 20, 79).Fill((byte)('A' + (int)(((written + r) / 100) % 26)));
                block[r + 99] = (byte)'\n';
            }
            await file.WriteAsync(block.AsMemory(0, count));
            written += count;
        }
    }
    Report("records", bytes, clock.Elapsed, "");
    return 0;
}

static async Task<int> Sort(string[] args)
{
    string path = args.Length > 1 ? args[1] : "";
    if (!File.Exists(path))
    {
        return Usage();
    }
    string output = Option(args, "--out", Path.Combine(Path.GetTempPath(), "colony-sort-" + Environment.ProcessId));
    var runner = new LocalJobRunner
    {
        Parallelism = int.Parse(Option(args, "--parallel", "2"), CultureInfo.InvariantCulture),
        Reducers = int.Parse(Option(args, "--reducers", "2"), CultureInfo.InvariantCulture),
        SplitBytes = long.Parse(Option(args, "--split-mib", "64"), CultureInfo.InvariantCulture) << 20,
    };
    var clock = Stopwatch.StartNew();
    using LoadedJob job = LoadedJob.FromJob(new SortJob());
    LocalJobResult result = await runner.RunAsync(job, [path], output);
    Report($"sort x{runner.Parallelism}", new FileInfo(path).Length, clock.Elapsed,
        $"{result.Counters[Counters.ReduceOutputRecords]} lines, {result.OutputFiles.Count} parts in {output}");
    return 0;
}

static void Report(string what, long bytes, TimeSpan wall, string detail)
{
    using Process self = Process.GetCurrentProcess();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{what}: {bytes / 1e6 / wall.TotalSeconds:F1} MB/s, wall {wall.TotalSeconds:F2} s, CPU {self.TotalProcessorTime.TotalSeconds:F2} s, peak working set {self.PeakWorkingSet64 / (1 << 20)} MiB; {detail}"));
}

/// <summary>The tight reference: bytes, spans and one open-addressing hash table per thread, no string per word.</summary>
internal sealed class TightCounter
{
    private int[] buckets = new int[1 << 18];
    private (uint Hash, int Offset, int Length, long Count)[] entries = new (uint, int, int, long)[1 << 17];
    private byte[] arena = new byte[1 << 22];
    private int arenaUsed;

    public int Distinct { get; private set; }

    public long Total { get; private set; }

    /// <summary>Counts the words starting in [start, end): a word straddling start belongs to the range before.</summary>
    public void Count(SafeFileHandle handle, long start, long end, long length)
    {
        byte[] buffer = new byte[4 << 20];
        int carry = 0;
        long position = start;
        bool skipping = start > 0 && !IsSpace(ReadByte(handle, start - 1));
        while (true)
        {
            int read = RandomAccess.Read(handle, buffer.AsSpan(carry), position);
            position += read;
            int available = carry + read;
            bool last = read == 0 || position >= length;
            Span<byte> data = buffer.AsSpan(0, available);
            int i = 0;
            if (skipping)
            {
                while (i < data.Length && !IsSpace(data[i]))
                {
                    i++;
                }
                if (i < data.Length || last)
                {
                    skipping = false;
                }
            }
            int processedTo = i;
            while (i < data.Length)
            {
                while (i < data.Length && IsSpace(data[i]))
                {
                    i++;
                }
                if (position - available + i >= end)
                {
                    return;
                }
                int wordStart = i;
                while (i < data.Length && !IsSpace(data[i]))
                {
                    i++;
                }
                if (i == data.Length && !last)
                {
                    processedTo = wordStart;
                    break;
                }
                if (i > wordStart)
                {
                    Add(data[wordStart..i], 1);
                }
                processedTo = i;
            }
            if (last)
            {
                return;
            }
            carry = available - processedTo;
            data[processedTo..].CopyTo(buffer);
        }
    }

    private static byte ReadByte(SafeFileHandle handle, long offset)
    {
        Span<byte> one = stackalloc byte[1];
        RandomAccess.Read(handle, one, offset);
        return one[0];
    }

    private static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\n' or (byte)'\t' or (byte)'\r' or (byte)'\v' or (byte)'\f';

    public void MergeFrom(TightCounter other)
    {
        for (int n = 0; n < other.Distinct; n++)
        {
            var e = other.entries[n];
            Add(other.arena.AsSpan(e.Offset, e.Length), e.Count);
        }
    }

    private void Add(ReadOnlySpan<byte> word, long count)
    {
        Total += count;
        uint hash = 2166136261;
        foreach (byte b in word)
        {
            hash = (hash ^ b) * 16777619;
        }
        int mask = buckets.Length - 1;
        int i = (int)hash & mask;
        while (buckets[i] != 0)
        {
            ref var e = ref entries[buckets[i] - 1];
            if (e.Hash == hash && arena.AsSpan(e.Offset, e.Length).SequenceEqual(word))
            {
                e.Count += count;
                return;
            }
            i = (i + 1) & mask;
        }
        if (Distinct == entries.Length)
        {
            Array.Resize(ref entries, entries.Length * 2);
        }
        if (arena.Length - arenaUsed < word.Length)
        {
            Array.Resize(ref arena, arena.Length * 2 + word.Length);
        }
        word.CopyTo(arena.AsSpan(arenaUsed));
        entries[Distinct] = (hash, arenaUsed, word.Length, count);
        arenaUsed += word.Length;
        buckets[i] = ++Distinct;
        if (Distinct * 2 > buckets.Length)
        {
            buckets = new int[buckets.Length * 2];
            mask = buckets.Length - 1;
            for (int n = 0; n < Distinct; n++)
            {
                int j = (int)entries[n].Hash & mask;
                while (buckets[j] != 0)
                {
                    j = (j + 1) & mask;
                }
                buckets[j] = n + 1;
            }
        }
    }
}
