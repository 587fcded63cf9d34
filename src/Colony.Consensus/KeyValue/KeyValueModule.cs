using System.Buffers.Binary;
using Colony.Consensus.StateMachine;

namespace Colony.Consensus.KeyValue;

/// <summary>
/// A string-to-string map as a state-machine module: the smallest real workload for Raft tests,
/// the simulator and a node's diagnostics. <see cref="Applied"/> fires for every command, so a simulated server can answer the
/// client that proposed it (matched by index and position).
/// </summary>
public sealed class KeyValueModule : IStateMachineModule
{
    private readonly Dictionary<string, string> _entries = new(StringComparer.Ordinal);

    public ModuleId Id => ModuleId.KeyValue;

    /// <summary>Raised after each command is applied, with where it sat in the log.</summary>
    public event Action<CommandContext, KeyValueCommand>? Applied;

    public int Count => _entries.Count;

    /// <summary>The value of <paramref name="key"/>, or null if it has none.</summary>
    public string? Get(string key) => _entries.GetValueOrDefault(key);

    /// <summary>All entries in ordinal key order.</summary>
    public IEnumerable<KeyValuePair<string, string>> Entries => _entries.OrderBy(e => e.Key, StringComparer.Ordinal);

    public void Apply(in CommandContext context, ReadOnlySpan<byte> command)
    {
        var decoded = KeyValueCommand.Decode(command);
        switch (decoded.Kind)
        {
            case KeyValueCommandKind.Put:
                _entries[decoded.Key] = decoded.Value!;
                break;
            case KeyValueCommandKind.Delete:
                _entries.Remove(decoded.Key);
                break;
        }
        Applied?.Invoke(context, decoded);
    }

    /// <summary>Writes the entries as Put commands in ordinal key order, so equal maps give equal bytes.</summary>
    public void WriteSnapshot(Stream destination) => CaptureSnapshot().WriteTo(destination);

    /// <summary>Copies the entries (references only); sorting and encoding wait for the writer.</summary>
    public SnapshotWriter CaptureSnapshot()
    {
        var entries = new KeyValuePair<string, string>[_entries.Count];
        ((ICollection<KeyValuePair<string, string>>)_entries).CopyTo(entries, 0);
        return new SnapshotWriter(destination => WriteSorted(destination, entries));
    }

    private static void WriteSorted(Stream destination, KeyValuePair<string, string>[] entries)
    {
        Array.Sort(entries, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(length, (uint)entries.Length);
        destination.Write(length);
        foreach (var (key, value) in entries)
        {
            var record = KeyValueCommand.EncodePut(key, value);
            BinaryPrimitives.WriteUInt32BigEndian(length, (uint)record.Length);
            destination.Write(length);
            destination.Write(record);
        }
    }

    public void Restore(Stream source)
    {
        var entries = new Dictionary<string, string>(StringComparer.Ordinal);
        uint count = ReadUInt32(source);
        for (uint i = 0; i < count; i++)
        {
            uint length = ReadUInt32(source);
            if (length > 1 + 2 + KeyValueCommand.MaxKeyBytes + 4 + KeyValueCommand.MaxValueBytes)
            {
                throw new InvalidDataException($"key-value snapshot record {i} declares {length} bytes");
            }
            var record = new byte[length];
            source.ReadExactly(record);
            var command = KeyValueCommand.Decode(record);
            if (command.Kind != KeyValueCommandKind.Put || !entries.TryAdd(command.Key, command.Value!))
            {
                throw new InvalidDataException($"key-value snapshot record {i} is not a new key");
            }
        }
        _entries.Clear();
        foreach (var (key, value) in entries)
        {
            _entries[key] = value;
        }
    }

    private static uint ReadUInt32(Stream source)
    {
        Span<byte> bytes = stackalloc byte[4];
        source.ReadExactly(bytes);
        return BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }
}
