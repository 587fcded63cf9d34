using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Colony.Client.MapReduce;

/// <summary>
/// Word count: words are runs of bytes between ASCII whitespace (space, \t, \n, \v, \f, \r), compared
/// as raw bytes. The mapper counts in place in a hash table keyed by byte spans and emits each
/// distinct word once per flush; output lines are "word TAB count".
/// </summary>
public sealed class WordCountJob : MapReduceJob
{
    /// <inheritdoc />
    public override RawMapper CreateMapper(int step) => new WordCountMapper();

    /// <inheritdoc />
    public override RawReducer? CreateCombiner(int step) => new SumReducer();

    /// <inheritdoc />
    public override RawReducer? CreateReducer(int step) => new SumReducer();

    private sealed class WordCountMapper : RawMapper
    {
        // Bits 9 to 13 (\t \n \v \f \r) and 32 (space).
        private const ulong WhitespaceBits = (1UL << 9) | (1UL << 10) | (1UL << 11) | (1UL << 12) | (1UL << 13) | (1UL << 32);
        private readonly ByteCountTable table = new();

        private static bool IsSpace(byte b) => b <= 32 && ((1UL << b) & WhitespaceBits) != 0;

        public override void Map(ReadOnlySpan<byte> line, Emitter output)
        {
            int i = 0;
            int n = line.Length;
            while (i < n)
            {
                while (i < n && IsSpace(line[i]))
                {
                    i++;
                }
                int start = i;
                while (i < n && !IsSpace(line[i]))
                {
                    i++;
                }
                if (i > start)
                {
                    table.Add(line[start..i], 1);
                }
            }
            if (table.IsFull)
            {
                table.Flush(output);
            }
        }

        public override void Cleanup(Emitter output) => table.Flush(output);
    }
}

/// <summary>
/// Grep: every line matching the regular expression <see cref="JobSettings.GrepPattern"/> (matched
/// against the line decoded as UTF-8) is a key; the output is "line TAB number of occurrences",
/// sorted by line bytes within each part file.
/// </summary>
public sealed class GrepJob : MapReduceJob
{
    /// <inheritdoc />
    public override RawMapper CreateMapper(int step) => new GrepMapper();

    /// <inheritdoc />
    public override RawReducer? CreateCombiner(int step) => new SumReducer();

    /// <inheritdoc />
    public override RawReducer? CreateReducer(int step) => new SumReducer();

    private sealed class GrepMapper : RawMapper
    {
        private Regex? regex;
        private char[] chars = new char[4096];
        private readonly byte[] one = LongSerde.Encode(1);

        public override void Setup(TaskContext context, Emitter output)
        {
            if (!context.Settings.TryGetValue(JobSettings.GrepPattern, out string? pattern))
            {
                throw new InvalidOperationException($"grep needs the setting {JobSettings.GrepPattern}.");
            }
            regex = new Regex(pattern, RegexOptions.CultureInvariant);
        }

        public override void Map(ReadOnlySpan<byte> line, Emitter output)
        {
            int max = Encoding.UTF8.GetMaxCharCount(line.Length);
            if (chars.Length < max)
            {
                chars = new char[Math.Max(max, chars.Length * 2)];
            }
            int n = Encoding.UTF8.GetChars(line, chars);
            if (regex!.IsMatch(chars.AsSpan(0, n)))
            {
                output.Emit(line, one);
            }
        }
    }
}

/// <summary>
/// Sort (like TeraSort): the key is a line's first 10 bytes (the whole line when shorter), the value
/// the rest. A sampled range partitioner sends key ranges to reducers in order, so the part files
/// concatenated hold the input lines sorted by key bytes; each output line is exactly an input line.
/// A shorter line sorts before the longer lines it prefixes; lines with equal keys come out in an
/// unspecified order relative to each other. Line endings are normalized to "\n" ("\r\n" loses its
/// "\r"). Without <see cref="PrepareAsync"/>'s boundaries every key goes to the first partition.
/// </summary>
public sealed class SortJob : MapReduceJob
{
    /// <summary>The key length in bytes.</summary>
    public const int KeyLength = 10;

    /// <inheritdoc />
    public override RawMapper CreateMapper(int step) => new SortMapper();

    /// <inheritdoc />
    public override RawReducer? CreateReducer(int step) => new SortReducer();

    /// <inheritdoc />
    public override IPartitioner CreatePartitioner(int step, IReadOnlyDictionary<string, string> settings) =>
        settings.TryGetValue(JobSettings.SortBoundaries, out string? encoded)
            ? RangePartitioner.Parse(encoded)
            : new RangePartitioner([]);

    /// <summary>Samples keys across the inputs and picks reducers − 1 boundaries between equal-sized key ranges.</summary>
    public override async Task<IReadOnlyDictionary<string, string>> PrepareAsync(JobPreparationContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        int wanted = context.Settings.TryGetValue(JobSettings.SortSampleSize, out string? size)
            ? int.Parse(size, CultureInfo.InvariantCulture)
            : 10_000;
        var samples = new List<byte[]>();
        const int ChunksPerInput = 16;
        int perChunk = Math.Max(1, wanted / Math.Max(1, context.Inputs.Count) / ChunksPerInput);
        byte[] chunk = new byte[64 << 10];
        foreach ((string path, long length) in context.Inputs)
        {
            await using Stream stream = await context.OpenInput(path, cancellationToken).ConfigureAwait(false);
            for (int c = 0; c < ChunksPerInput; c++)
            {
                long offset = length * c / ChunksPerInput;
                if (c > 0 && offset == length * (c - 1) / ChunksPerInput)
                {
                    continue;
                }
                stream.Position = offset;
                int read = await stream.ReadAtLeastAsync(chunk, chunk.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                SampleChunk(chunk.AsSpan(0, read), offset == 0, offset + read == length, perChunk, samples);
            }
        }
        samples.Sort(static (x, y) => x.AsSpan().SequenceCompareTo(y));
        var boundaries = new List<byte[]>();
        for (int i = 1; i < context.Reducers && samples.Count > 0; i++)
        {
            boundaries.Add(samples[(int)((long)samples.Count * i / context.Reducers)]);
        }
        return new Dictionary<string, string> { [JobSettings.SortBoundaries] = RangePartitioner.Format(boundaries) };
    }

    private static void SampleChunk(ReadOnlySpan<byte> chunk, bool atLineStart, bool atEnd, int limit, List<byte[]> samples)
    {
        if (!atLineStart)
        {
            int nl = chunk.IndexOf((byte)'\n');
            chunk = nl < 0 ? [] : chunk[(nl + 1)..];
        }
        for (int taken = 0; taken < limit; taken++)
        {
            int nl = chunk.IndexOf((byte)'\n');
            if (nl < 0 && !(atEnd && chunk.Length > 0))
            {
                return;
            }
            ReadOnlySpan<byte> line = nl < 0 ? chunk : chunk[..nl];
            if (line.Length > 0 && line[^1] == (byte)'\r')
            {
                line = line[..^1];
            }
            samples.Add(line[..Math.Min(KeyLength, line.Length)].ToArray());
            chunk = nl < 0 ? [] : chunk[(nl + 1)..];
        }
    }

    private sealed class SortMapper : RawMapper
    {
        public override void Map(ReadOnlySpan<byte> line, Emitter output)
        {
            int k = Math.Min(KeyLength, line.Length);
            output.Emit(line[..k], line[k..]);
        }
    }

    private sealed class SortReducer : RawReducer
    {
        private byte[] scratch = new byte[256];

        public override void Reduce(ReadOnlySpan<byte> key, ReduceValues values, Emitter output)
        {
            while (values.MoveNext())
            {
                ReadOnlySpan<byte> rest = values.Current;
                int length = key.Length + rest.Length;
                if (scratch.Length < length)
                {
                    scratch = new byte[Math.Max(length, scratch.Length * 2)];
                }
                key.CopyTo(scratch);
                rest.CopyTo(scratch.AsSpan(key.Length));
                // An empty value writes the line alone, exactly as it was read.
                output.Emit(scratch.AsSpan(0, length), []);
            }
        }
    }
}

/// <summary>Sends keys below the first boundary to partition 0, keys in [b(i−1), b(i)) to partition i, and so on.</summary>
public sealed class RangePartitioner : IPartitioner
{
    private readonly byte[][] boundaries;

    /// <summary>Creates a partitioner over sorted boundaries.</summary>
    public RangePartitioner(IReadOnlyList<byte[]> boundaries) => this.boundaries = [.. boundaries];

    /// <inheritdoc />
    public int GetPartition(ReadOnlySpan<byte> key, int partitions)
    {
        int lo = 0;
        int hi = boundaries.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (key.SequenceCompareTo(boundaries[mid]) >= 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return Math.Min(lo, partitions - 1);
    }

    /// <summary>Encodes boundaries as comma-separated hex.</summary>
    public static string Format(IEnumerable<byte[]> boundaries) => string.Join(',', boundaries.Select(Convert.ToHexString));

    /// <summary>Decodes <see cref="Format"/>'s output.</summary>
    public static RangePartitioner Parse(string encoded) =>
        new(encoded.Length == 0 ? [] : encoded.Split(',').Select(Convert.FromHexString).ToArray());
}

/// <summary>Sums order-preserving int64 values; as a combiner it emits the sum, as a reducer a decimal text line.</summary>
internal sealed class SumReducer : RawReducer
{
    private readonly byte[] encoded = new byte[20];

    public override void Reduce(ReadOnlySpan<byte> key, ReduceValues values, Emitter output)
    {
        long sum = 0;
        while (values.MoveNext())
        {
            sum += LongSerde.Decode(values.Current);
        }
        if (output.WritesText)
        {
            sum.TryFormat(encoded, out int written, default, CultureInfo.InvariantCulture);
            output.Emit(key, encoded.AsSpan(0, written));
        }
        else
        {
            LongSerde.Write(sum, encoded);
            output.Emit(key, encoded.AsSpan(0, 8));
        }
    }
}

/// <summary>Counts byte-span keys in place: open addressing over an arena of key bytes, no object per key.</summary>
internal sealed class ByteCountTable
{
    private const int MaxEntries = 1 << 20;
    private const int MaxArena = 32 << 20;
    private int[] buckets = new int[1 << 16];
    private Entry[] entries = new Entry[1 << 15];
    private byte[] arena = new byte[1 << 20];
    private int arenaUsed;
    private int count;
    private readonly byte[] encoded = new byte[8];

    private struct Entry
    {
        public uint Hash;
        public int Offset;
        public int Length;
        public long Count;
    }

    public bool IsFull => count >= MaxEntries || arenaUsed >= MaxArena;

    public void Add(ReadOnlySpan<byte> key, long delta)
    {
        uint hash = Hash(key);
        int mask = buckets.Length - 1;
        int i = (int)hash & mask;
        while (true)
        {
            int slot = buckets[i];
            if (slot == 0)
            {
                break;
            }
            ref Entry e = ref entries[slot - 1];
            if (e.Hash == hash && arena.AsSpan(e.Offset, e.Length).SequenceEqual(key))
            {
                e.Count += delta;
                return;
            }
            i = (i + 1) & mask;
        }
        if (count == entries.Length)
        {
            Array.Resize(ref entries, entries.Length * 2);
        }
        if (arena.Length - arenaUsed < key.Length)
        {
            Array.Resize(ref arena, Math.Max(arena.Length * 2, arenaUsed + key.Length));
        }
        key.CopyTo(arena.AsSpan(arenaUsed));
        entries[count] = new Entry { Hash = hash, Offset = arenaUsed, Length = key.Length, Count = delta };
        arenaUsed += key.Length;
        buckets[i] = ++count;
        if (count * 2 > buckets.Length)
        {
            Rehash();
        }
    }

    private void Rehash()
    {
        buckets = new int[buckets.Length * 2];
        int mask = buckets.Length - 1;
        for (int n = 0; n < count; n++)
        {
            int i = (int)entries[n].Hash & mask;
            while (buckets[i] != 0)
            {
                i = (i + 1) & mask;
            }
            buckets[i] = n + 1;
        }
    }

    public void Flush(Emitter output)
    {
        for (int n = 0; n < count; n++)
        {
            ref Entry e = ref entries[n];
            LongSerde.Write(e.Count, encoded);
            output.Emit(arena.AsSpan(e.Offset, e.Length), encoded);
        }
        Array.Clear(buckets);
        count = 0;
        arenaUsed = 0;
    }

    private static uint Hash(ReadOnlySpan<byte> key)
    {
        ulong h = 0x9E3779B97F4A7C15UL ^ (ulong)key.Length;
        while (key.Length >= 8)
        {
            h = (h ^ BinaryPrimitives.ReadUInt64LittleEndian(key)) * 0xFF51AFD7ED558CCDUL;
            h ^= h >> 29;
            key = key[8..];
        }
        if (key.Length > 0)
        {
            ulong tail = 0;
            for (int i = 0; i < key.Length; i++)
            {
                tail |= (ulong)key[i] << (8 * i);
            }
            h = (h ^ tail) * 0xC4CEB9FE1A85EC53UL;
        }
        h ^= h >> 32;
        return (uint)h;
    }
}
