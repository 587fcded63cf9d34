using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Colony.Client.MapReduce;

/// <summary>
/// Collects map output in one bounded byte buffer plus an array of fixed-size record descriptors
/// (no object per record), sorts the descriptors by partition and key when the buffer fills,
/// combines, and spills sorted runs; at the end merges the runs into one file per map with a
/// partition index.
/// </summary>
internal sealed class MapOutputCollector : Emitter, IDisposable
{
    private readonly int partitions;
    private readonly IPartitioner partitioner;
    private readonly IKeyComparer? comparer;
    private readonly Func<RawReducer?> combinerFactory;
    private readonly TaskContext context;
    private readonly string directory;
    private readonly int dataLimit;
    private readonly int recordLimit;
    private byte[] data;
    private Rec[] records;
    private int dataUsed;
    private int count;
    private long emitted;
    private long combineInput;
    private long combineOutput;
    private long spilled;
    private readonly List<Spill> spills = [];

    public MapOutputCollector(
        int partitions, IPartitioner partitioner, IKeyComparer? comparer, Func<RawReducer?> combinerFactory,
        TaskContext context, long bufferBytes)
    {
        this.partitions = partitions;
        this.partitioner = partitioner;
        this.comparer = comparer;
        this.combinerFactory = combinerFactory;
        this.context = context;
        directory = context.WorkDirectory;
        // Three quarters hold key and value bytes, a quarter the descriptors. Both start small and
        // double up to that bound, so a map with little output (a combining word count) never pays for it.
        long clamped = Math.Clamp(bufferBytes, 64 << 10, 1L << 30);
        dataLimit = (int)(clamped / 4 * 3);
        recordLimit = (int)(clamped / 4 / Marshal.SizeOf<Rec>());
        data = ArrayPool<byte>.Shared.Rent(Math.Min(dataLimit, 1 << 20));
        records = ArrayPool<Rec>.Shared.Rent(Math.Min(recordLimit, 1 << 15));
    }

    public override bool WritesText => false;

    public override void Emit(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        int partition = partitions == 1 ? 0 : partitioner.GetPartition(key, partitions);
        if ((uint)partition >= (uint)partitions)
        {
            throw new InvalidOperationException($"The partitioner returned {partition} for {partitions} partitions.");
        }
        int length = key.Length + value.Length;
        if (data.Length - dataUsed < length || count == records.Length)
        {
            MakeRoom(length);
        }
        key.CopyTo(data.AsSpan(dataUsed));
        value.CopyTo(data.AsSpan(dataUsed + key.Length));
        records[count++] = new Rec(Prefix(key), partition, dataUsed, key.Length, value.Length);
        dataUsed += length;
        emitted++;
    }

    /// <summary>Grows the buffers while under their bounds, else spills; a record larger than the whole buffer gets a buffer of its own.</summary>
    private void MakeRoom(int length)
    {
        bool dataFull = data.Length - dataUsed < length;
        bool recordsFull = count == records.Length;
        if ((dataFull && data.Length >= dataLimit) || (recordsFull && records.Length >= recordLimit))
        {
            SpillBuffer();
            dataFull = data.Length < length;
            recordsFull = false;
        }
        if (dataFull)
        {
            byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Max(Math.Min(dataLimit, data.Length * 2), dataUsed + length));
            data.AsSpan(0, dataUsed).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(data);
            data = larger;
        }
        if (recordsFull)
        {
            Rec[] larger = ArrayPool<Rec>.Shared.Rent(Math.Min(recordLimit, records.Length * 2));
            records.AsSpan(0, count).CopyTo(larger);
            ArrayPool<Rec>.Shared.Return(records);
            records = larger;
        }
    }

    /// <summary>The first eight key bytes, big-endian and zero-padded, so most comparisons are one integer compare.</summary>
    private static ulong Prefix(ReadOnlySpan<byte> key)
    {
        if (key.Length >= 8)
        {
            return BinaryPrimitives.ReadUInt64BigEndian(key);
        }
        Span<byte> padded = stackalloc byte[8];
        padded.Clear();
        key.CopyTo(padded);
        return BinaryPrimitives.ReadUInt64BigEndian(padded);
    }

    /// <summary>Spills what is left and merges every spill into <c>file.out</c> and <c>file.out.index</c>.</summary>
    public (string OutputFile, string IndexFile) Finish()
    {
        if (count > 0 || spills.Count == 0)
        {
            SpillBuffer();
        }
        string output = Path.Combine(directory, "file.out");
        string index = output + ".index";
        Spill final;
        if (spills.Count == 1)
        {
            File.Move(spills[0].Path, output, overwrite: true);
            final = spills[0] with { Path = output };
        }
        else
        {
            MergeDownTo(JobSettings.MergeFactorOf(context.Settings));
            final = MergeSpills(spills, output);
            foreach (Spill spill in spills)
            {
                File.Delete(spill.Path);
            }
        }
        MapOutputFile.WriteIndex(index, final.Offsets, final.Lengths);
        context.Counters.Add(Counters.MapOutputRecords, emitted);
        context.Counters.Add(Counters.CombineInputRecords, combineInput);
        context.Counters.Add(Counters.CombineOutputRecords, combineOutput);
        context.Counters.Add(Counters.SpilledRecords, spilled);
        return (output, index);
    }

    private void SpillBuffer()
    {
        Span<Rec> run = records.AsSpan(0, count);
        run.Sort(new RecComparer(data, comparer));
        string path = Path.Combine(directory, $"spill{spills.Count}.out");
        var offsets = new long[partitions];
        var lengths = new long[partitions];
        using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1))
        using (var writer = new SegmentWriter(file))
        {
            int i = 0;
            for (int p = 0; p < partitions; p++)
            {
                offsets[p] = writer.Position;
                int start = i;
                while (i < run.Length && run[i].Partition == p)
                {
                    i++;
                }
                WritePartition(start, i, writer);
                writer.EndSegment();
                lengths[p] = writer.Position - offsets[p];
            }
            writer.Flush();
            spilled += writer.Records;
        }
        spills.Add(new Spill(path, offsets, lengths));
        count = 0;
        dataUsed = 0;
    }

    private void WritePartition(int start, int end, SegmentWriter writer)
    {
        RawReducer? combiner = start == end ? null : combinerFactory();
        if (combiner is null)
        {
            for (int r = start; r < end; r++)
            {
                Rec rec = records[r];
                writer.Write(data.AsSpan(rec.KeyOffset, rec.KeyLength), data.AsSpan(rec.KeyOffset + rec.KeyLength, rec.ValueLength));
            }
            return;
        }
        var output = new SegmentEmitter(writer);
        var values = new BufferedValues(data, records);
        combiner.Setup(context, output);
        int i = start;
        while (i < end)
        {
            int j = i + 1;
            ReadOnlySpan<byte> key = data.AsSpan(records[i].KeyOffset, records[i].KeyLength);
            while (j < end && SameKey(key, records[j]))
            {
                j++;
            }
            values.Reset(i, j);
            combiner.Reduce(key, values, output);
            combineInput += j - i;
            i = j;
        }
        combiner.Cleanup(output);
        combineOutput += output.Records;
    }

    private bool SameKey(ReadOnlySpan<byte> key, in Rec other)
    {
        ReadOnlySpan<byte> otherKey = data.AsSpan(other.KeyOffset, other.KeyLength);
        return comparer is null ? key.SequenceEqual(otherKey) : comparer.Compare(key, otherKey) == 0;
    }

    /// <summary>Merges the smallest runs into one until at most <paramref name="factor"/> are left, as Hadoop does.</summary>
    private void MergeDownTo(int factor)
    {
        for (int pass = 0; spills.Count > factor; pass++)
        {
            // Merging the smallest runs first makes each pass read as little as it can.
            var batch = spills.OrderBy(s => s.Lengths.Sum()).Take(factor).ToList();
            var merged = MergeSpills(batch, Path.Combine(directory, $"merge{pass}.out"));
            foreach (Spill spill in batch)
            {
                spills.Remove(spill);
                File.Delete(spill.Path);
            }
            spills.Add(merged);
        }
    }

    private Spill MergeSpills(IReadOnlyList<Spill> inputs, string output)
    {
        var offsets = new long[partitions];
        var lengths = new long[partitions];
        using var file = new FileStream(output, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1);
        using var writer = new SegmentWriter(file);
        for (int p = 0; p < partitions; p++)
        {
            offsets[p] = writer.Position;
            var readers = new List<SegmentReader>(inputs.Count);
            foreach (Spill spill in inputs)
            {
                readers.Add(new SegmentReader(spill.Path, spill.Offsets[p], spill.Lengths[p], 128 << 10));
            }
            using var merger = new SegmentMerger(readers, comparer);
            RawReducer? combiner = combinerFactory();
            if (combiner is null)
            {
                while (merger.MoveNext())
                {
                    writer.Write(merger.Key, merger.Value);
                }
            }
            else
            {
                var emitter = new SegmentEmitter(writer);
                var grouped = new GroupedMerge(merger, comparer);
                combiner.Setup(context, emitter);
                grouped.Run(combiner, emitter, null);
                combiner.Cleanup(emitter);
                combineInput += grouped.Records;
                combineOutput += emitter.Records;
            }
            writer.EndSegment();
            lengths[p] = writer.Position - offsets[p];
        }
        writer.Flush();
        spilled += writer.Records;
        return new Spill(output, offsets, lengths);
    }

    public void Dispose()
    {
        if (data.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(data);
            ArrayPool<Rec>.Shared.Return(records);
            data = [];
            records = [];
        }
    }

    private sealed record Spill(string Path, long[] Offsets, long[] Lengths);

    /// <summary>One buffered record: 24 bytes, no references, so sorting moves plain structs.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal readonly record struct Rec(ulong Prefix, int Partition, int KeyOffset, int KeyLength, int ValueLength);

    private readonly struct RecComparer(byte[] data, IKeyComparer? comparer) : IComparer<Rec>
    {
        public int Compare(Rec x, Rec y)
        {
            if (x.Partition != y.Partition)
            {
                return x.Partition < y.Partition ? -1 : 1;
            }
            if (comparer is not null)
            {
                return comparer.Compare(data.AsSpan(x.KeyOffset, x.KeyLength), data.AsSpan(y.KeyOffset, y.KeyLength));
            }
            if (x.Prefix != y.Prefix)
            {
                return x.Prefix < y.Prefix ? -1 : 1;
            }
            int c = data.AsSpan(x.KeyOffset, x.KeyLength).SequenceCompareTo(data.AsSpan(y.KeyOffset, y.KeyLength));
            // Equal keys keep emission order: offsets grow with every emit in a run.
            return c != 0 ? c : x.KeyOffset.CompareTo(y.KeyOffset);
        }
    }

    /// <summary>The values of one key group inside the sort buffer.</summary>
    private sealed class BufferedValues(byte[] data, Rec[] records) : ReduceValues
    {
        private int index;
        private int end;

        public void Reset(int start, int stop)
        {
            index = start - 1;
            end = stop;
        }

        public override bool MoveNext() => ++index < end;

        public override ReadOnlySpan<byte> Current
        {
            get
            {
                Rec rec = records[index];
                return data.AsSpan(rec.KeyOffset + rec.KeyLength, rec.ValueLength);
            }
        }
    }
}

/// <summary>A map's output file: one segment per reduce partition, located by an index file.</summary>
public static class MapOutputFile
{
    private const int Magic = 0x434D4F49; // "CMOI"

    /// <summary>Reads an index: partition p is bytes [Offset, Offset + Length) of the output file.</summary>
    public static IReadOnlyList<(long Offset, long Length)> ReadIndex(string indexFile) => ParseIndex(File.ReadAllBytes(indexFile), indexFile);

    /// <summary>Reads an index from an open file (<paramref name="name"/> names it in errors); one larger than a million partitions' is refused unread.</summary>
    public static IReadOnlyList<(long Offset, long Length)> ReadIndex(Stream indexFile, string name)
    {
        ArgumentNullException.ThrowIfNull(indexFile);
        const long MaxBytes = 8 + (16L * 1_000_000);
        if (indexFile.Length > MaxBytes)
        {
            throw new InvalidDataException($"{name} is too large for a map output index.");
        }
        byte[] bytes = new byte[indexFile.Length];
        indexFile.ReadExactly(bytes);
        return ParseIndex(bytes, name);
    }

    private static (long Offset, long Length)[] ParseIndex(byte[] bytes, string indexFile)
    {
        if (bytes.Length < 8 || BinaryPrimitives.ReadInt32LittleEndian(bytes) != Magic)
        {
            throw new InvalidDataException($"{indexFile} is not a map output index.");
        }
        int partitions = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4));
        if (partitions < 0 || bytes.Length != 8 + partitions * 16)
        {
            throw new InvalidDataException($"{indexFile} is truncated.");
        }
        var result = new (long, long)[partitions];
        for (int p = 0; p < partitions; p++)
        {
            result[p] = (BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8 + p * 16)), BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(16 + p * 16)));
        }
        return result;
    }

    internal static void WriteIndex(string indexFile, long[] offsets, long[] lengths)
    {
        byte[] bytes = new byte[8 + offsets.Length * 16];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), offsets.Length);
        for (int p = 0; p < offsets.Length; p++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8 + p * 16), offsets[p]);
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(16 + p * 16), lengths[p]);
        }
        File.WriteAllBytes(indexFile, bytes);
    }
}
