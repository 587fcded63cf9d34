namespace Colony.Consensus;

/// <summary>
/// A captured state, ready to be serialized: writes it to a stream, once, on any thread. See
/// <see cref="IStateMachine.CaptureSnapshot"/>.
/// </summary>
public sealed class SnapshotWriter
{
    private Action<Stream>? _write;

    public SnapshotWriter(Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        _write = write;
    }

    /// <summary>Serializes now, into memory: the capture of a state that offers nothing cheaper.</summary>
    public static SnapshotWriter Eager(Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var buffer = new MemoryStream();
        write(buffer);
        return new SnapshotWriter(destination => destination.Write(buffer.GetBuffer(), 0, (int)buffer.Length));
    }

    /// <summary>Writes the captured state. A second call throws: the capture may have been consumed.</summary>
    public void WriteTo(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var write = Interlocked.Exchange(ref _write, null) ?? throw new InvalidOperationException("a captured snapshot is written once");
        write(destination);
    }
}
