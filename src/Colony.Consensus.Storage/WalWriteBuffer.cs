namespace Colony.Consensus.Storage;

/// <summary>
/// Records waiting to be written to the active segment: one growable array, reused across batches so
/// that steady appending allocates nothing. It keeps up to <paramref name="retainedBytes"/> of capacity;
/// beyond that (a single huge record) it gives the memory back once written.
/// </summary>
internal sealed class WalWriteBuffer(int initialBytes, int retainedBytes)
{
    private byte[] _bytes = new byte[initialBytes];
    private int _length;

    public int Length => _length;

    public ReadOnlySpan<byte> Written => _bytes.AsSpan(0, _length);

    /// <summary>Reserves <paramref name="count"/> bytes at the end; the span is valid until the next call.</summary>
    public Span<byte> Append(int count)
    {
        if (_bytes.Length - _length < count)
        {
            long wanted = Math.Max((long)_bytes.Length * 2, (long)_length + count);
            Array.Resize(ref _bytes, (int)Math.Min(wanted, Array.MaxLength));
        }
        var span = _bytes.AsSpan(_length, count);
        _length += count;
        return span;
    }

    public void Clear()
    {
        _length = 0;
        if (_bytes.Length > retainedBytes)
        {
            _bytes = new byte[initialBytes];
        }
    }
}
