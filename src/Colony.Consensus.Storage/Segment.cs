namespace Colony.Consensus.Storage;

/// <summary>What the store remembers of one segment file.</summary>
internal sealed class Segment(ulong sequence, string path)
{
    public ulong Sequence { get; } = sequence;

    public string Path { get; } = path;

    /// <summary>Bytes in the segment: written to the file, plus still buffered for the active one.</summary>
    public long Length { get; set; }

    /// <summary>
    /// The highest index of any entry record in the segment, superseded ones included; 0 if none.
    /// Once a durable snapshot covers it, no entry the log still needs lives here.
    /// </summary>
    public ulong MaxEntryIndex { get; set; }
}
