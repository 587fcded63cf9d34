namespace Colony.Client.MapReduce;

/// <summary>A k-way merge of sorted segments through a binary min-heap of readers.</summary>
internal sealed class SegmentMerger : IDisposable
{
    private readonly SegmentReader[] readers;
    private readonly IKeyComparer? comparer;
    private readonly int[] heap;
    private int size;
    private bool started;

    public SegmentMerger(IReadOnlyList<SegmentReader> readers, IKeyComparer? comparer)
    {
        this.readers = [.. readers];
        this.comparer = comparer;
        heap = new int[this.readers.Length];
    }

    public ReadOnlySpan<byte> Key => readers[heap[0]].Key;

    public ReadOnlySpan<byte> Value => readers[heap[0]].Value;

    public long BytesRead
    {
        get
        {
            long total = 0;
            foreach (SegmentReader reader in readers)
            {
                total += reader.BytesRead;
            }
            return total;
        }
    }

    public bool MoveNext()
    {
        if (!started)
        {
            started = true;
            for (int i = 0; i < readers.Length; i++)
            {
                if (readers[i].MoveNext())
                {
                    heap[size++] = i;
                }
            }
            for (int i = size / 2 - 1; i >= 0; i--)
            {
                SiftDown(i);
            }
            return size > 0;
        }
        if (size == 0)
        {
            return false;
        }
        if (!readers[heap[0]].MoveNext())
        {
            heap[0] = heap[--size];
        }
        if (size > 0)
        {
            SiftDown(0);
        }
        return size > 0;
    }

    private int Compare(int a, int b)
    {
        int c = comparer is null
            ? readers[a].Key.SequenceCompareTo(readers[b].Key)
            : comparer.Compare(readers[a].Key, readers[b].Key);
        // Ties go to the earlier segment, so a merge is stable across spills.
        return c != 0 ? c : a.CompareTo(b);
    }

    private void SiftDown(int i)
    {
        while (true)
        {
            int left = 2 * i + 1;
            if (left >= size)
            {
                return;
            }
            int smallest = left + 1 < size && Compare(heap[left + 1], heap[left]) < 0 ? left + 1 : left;
            if (Compare(heap[smallest], heap[i]) >= 0)
            {
                return;
            }
            (heap[i], heap[smallest]) = (heap[smallest], heap[i]);
            i = smallest;
        }
    }

    public void Dispose()
    {
        foreach (SegmentReader reader in readers)
        {
            reader.Dispose();
        }
    }
}

/// <summary>Feeds a merge to a reducer or combiner one key group at a time.</summary>
internal sealed class GroupedMerge : ReduceValues
{
    private readonly SegmentMerger merger;
    private readonly IKeyComparer? comparer;
    private byte[] groupKey = new byte[256];
    private int groupKeyLength;
    private bool atFirst;
    private bool groupEnded;
    private bool hasCurrent;

    public GroupedMerge(SegmentMerger merger, IKeyComparer? comparer)
    {
        this.merger = merger;
        this.comparer = comparer;
    }

    /// <summary>Records read from the merge.</summary>
    public long Records { get; private set; }

    public override ReadOnlySpan<byte> Current => merger.Value;

    public override bool MoveNext()
    {
        if (atFirst)
        {
            atFirst = false;
            return true;
        }
        if (groupEnded)
        {
            return false;
        }
        hasCurrent = merger.MoveNext();
        if (hasCurrent)
        {
            Records++;
        }
        if (!hasCurrent || !SameKey(merger.Key))
        {
            groupEnded = true;
            return false;
        }
        return true;
    }

    private bool SameKey(ReadOnlySpan<byte> key)
    {
        ReadOnlySpan<byte> group = groupKey.AsSpan(0, groupKeyLength);
        return comparer is null ? key.SequenceEqual(group) : comparer.Compare(key, group) == 0;
    }

    /// <summary>Runs <paramref name="reducer"/> over every group; returns the number of groups.</summary>
    public long Run(RawReducer reducer, Emitter output, Action<long>? progress)
    {
        long groups = 0;
        hasCurrent = merger.MoveNext();
        if (hasCurrent)
        {
            Records++;
        }
        while (hasCurrent)
        {
            ReadOnlySpan<byte> key = merger.Key;
            if (key.Length > groupKey.Length)
            {
                groupKey = new byte[Math.Max(key.Length, groupKey.Length * 2)];
            }
            key.CopyTo(groupKey);
            groupKeyLength = key.Length;
            atFirst = true;
            groupEnded = false;
            reducer.Reduce(groupKey.AsSpan(0, groupKeyLength), this, output);
            while (MoveNext())
            {
                // The reducer may stop early; skip the rest of its values.
            }
            groups++;
            if ((groups & 0xFFF) == 0)
            {
                progress?.Invoke(merger.BytesRead);
            }
        }
        return groups;
    }
}

/// <summary>Writes pairs as TextOutputFormat lines: key TAB value, or the key alone when the value is empty.</summary>
internal sealed class TextEmitter : Emitter, IDisposable
{
    private readonly Stream stream;
    private readonly Counters counters;
    private byte[] buffer;
    private int used;

    public TextEmitter(Stream stream, Counters counters, int bufferSize = 1 << 20)
    {
        this.stream = stream;
        this.counters = counters;
        buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(bufferSize);
    }

    public override bool WritesText => true;

    public long Records { get; private set; }

    public override void Emit(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        int need = key.Length + value.Length + 2;
        if (buffer.Length - used < need)
        {
            FlushBuffer();
            if (buffer.Length < need)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
                buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(need);
            }
        }
        key.CopyTo(buffer.AsSpan(used));
        used += key.Length;
        if (!value.IsEmpty)
        {
            buffer[used++] = (byte)'\t';
            value.CopyTo(buffer.AsSpan(used));
            used += value.Length;
        }
        buffer[used++] = (byte)'\n';
        Records++;
    }

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (used > 0)
        {
            await stream.WriteAsync(buffer.AsMemory(0, used), cancellationToken).ConfigureAwait(false);
            used = 0;
        }
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        counters.Add(Counters.ReduceOutputRecords, Records);
        Records = 0;
    }

    private void FlushBuffer()
    {
        if (used > 0)
        {
            stream.Write(buffer, 0, used);
            used = 0;
        }
    }

    public void Dispose()
    {
        if (buffer.Length > 0)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            buffer = [];
        }
    }
}

/// <summary>Writes a combiner's output into a segment.</summary>
internal sealed class SegmentEmitter(SegmentWriter writer) : Emitter
{
    public override bool WritesText => false;

    public long Records { get; private set; }

    public override void Emit(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        writer.Write(key, value);
        Records++;
    }
}

/// <summary>The reducer of a job without one: every pair becomes a text line.</summary>
internal sealed class IdentityReducer : RawReducer
{
    public override void Reduce(ReadOnlySpan<byte> key, ReduceValues values, Emitter output)
    {
        while (values.MoveNext())
        {
            output.Emit(key, values.Current);
        }
    }
}

/// <summary>Whole files that each hold one sorted segment: a reduce's fetched map outputs.</summary>
internal static class SegmentFiles
{
    /// <summary>
    /// Merges the smallest files, <paramref name="factor"/> at a time, into new files in <paramref name="directory"/>
    /// until at most <paramref name="factor"/> remain; returns the files to read. The given files are left alone.
    /// </summary>
    public static IReadOnlyList<string> MergeDownTo(
        IReadOnlyList<string> files, int factor, IKeyComparer? comparer, string directory, CancellationToken cancellationToken)
    {
        var remaining = files.Select(f => (Path: f, Length: new FileInfo(f).Length)).ToList();
        for (int pass = 0; remaining.Count > factor; pass++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = remaining.OrderBy(f => f.Length).Take(factor).ToList();
            string merged = Path.Combine(directory, $"merge{pass}.seg");
            var readers = new List<SegmentReader>(batch.Count);
            try
            {
                foreach (var (path, length) in batch)
                {
                    readers.Add(new SegmentReader(path, 0, length, 128 << 10));
                }
            }
            catch
            {
                readers.ForEach(reader => reader.Dispose());
                throw;
            }
            using (var merger = new SegmentMerger(readers, comparer))
            using (var file = new FileStream(merged, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1))
            using (var writer = new SegmentWriter(file))
            {
                while (merger.MoveNext())
                {
                    writer.Write(merger.Key, merger.Value);
                }
                writer.EndSegment();
                writer.Flush();
            }
            foreach (var input in batch)
            {
                remaining.Remove(input);
                if (!files.Contains(input.Path))
                {
                    File.Delete(input.Path); // an earlier pass's file, merged again
                }
            }
            remaining.Add((merged, new FileInfo(merged).Length));
        }
        return [.. remaining.Select(f => f.Path)];
    }
}
