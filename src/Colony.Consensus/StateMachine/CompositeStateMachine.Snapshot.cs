using System.Buffers.Binary;
using Colony.Core;

namespace Colony.Consensus.StateMachine;

/// <remarks>
/// Snapshot layout, big-endian (persisted: a new layout needs a new version):
/// <code>
/// header   magic u32 "CSMS", version u8 = 1, applied index u64, applied term u64, section count u8,
///          CRC-32C u32 of the preceding header bytes
/// section  one per module, in increasing id order:
///          module u8, length u64, state bytes, CRC-32C u32 of module, length and bytes
/// </code>
/// Restore reads and verifies everything before it touches any module, so a corrupt snapshot
/// leaves the current state as it was.
/// </remarks>
public sealed partial class CompositeStateMachine
{
    public const byte SnapshotVersion = 1;

    private const uint SnapshotMagic = 0x43534D53; // "CSMS"
    private const int HeaderBytes = 4 + 1 + 8 + 8 + 1 + 4;
    private const int SectionPrefixBytes = 1 + 8;
    private const int ReadChunkBytes = 1 << 20;

    /// <inheritdoc/>
    public void WriteSnapshot(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        CaptureSnapshot().WriteTo(destination);
    }

    /// <inheritdoc/>
    public SnapshotWriter CaptureSnapshot()
    {
        ulong appliedIndex = AppliedIndex;
        ulong appliedTerm = AppliedTerm;
        var sections = _modules.Select(m => (m.Id, Writer: m.CaptureSnapshot())).ToArray();
        return new SnapshotWriter(destination => WriteCaptured(destination, appliedIndex, appliedTerm, sections));
    }

    private static void WriteCaptured(Stream destination, ulong appliedIndex, ulong appliedTerm, (ModuleId Id, SnapshotWriter Writer)[] sections)
    {
        Span<byte> header = stackalloc byte[HeaderBytes];
        BinaryPrimitives.WriteUInt32BigEndian(header, SnapshotMagic);
        header[4] = SnapshotVersion;
        BinaryPrimitives.WriteUInt64BigEndian(header[5..], appliedIndex);
        BinaryPrimitives.WriteUInt64BigEndian(header[13..], appliedTerm);
        header[21] = (byte)sections.Length;
        BinaryPrimitives.WriteUInt32BigEndian(header[22..], Crc32C.Compute(header[..22]));
        destination.Write(header);

        // A section's length precedes its bytes, so each module writes to a buffer first.
        using var buffer = new MemoryStream();
        Span<byte> prefix = stackalloc byte[SectionPrefixBytes];
        Span<byte> crc = stackalloc byte[4];
        foreach (var (id, writer) in sections)
        {
            buffer.SetLength(0);
            writer.WriteTo(buffer);
            var state = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
            prefix[0] = id.Value;
            BinaryPrimitives.WriteUInt64BigEndian(prefix[1..], (ulong)state.Length);
            BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32C.Append(Crc32C.Compute(prefix), state));
            destination.Write(prefix);
            destination.Write(state);
            destination.Write(crc);
        }
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidDataException">
    /// The snapshot is truncated, corrupt, of another version, or holds a different set of modules.
    /// </exception>
    public void Restore(Stream source)
    {
        ArgumentNullException.ThrowIfNull(source);
        Span<byte> header = stackalloc byte[HeaderBytes];
        ReadExactly(source, header, "snapshot header");
        if (BinaryPrimitives.ReadUInt32BigEndian(header) != SnapshotMagic)
        {
            throw new InvalidDataException("not a state-machine snapshot: bad magic number");
        }
        if (BinaryPrimitives.ReadUInt32BigEndian(header[22..]) != Crc32C.Compute(header[..22]))
        {
            throw new InvalidDataException("snapshot header checksum mismatch");
        }
        if (header[4] != SnapshotVersion)
        {
            throw new InvalidDataException($"snapshot has version {header[4]}; this node reads version {SnapshotVersion}");
        }
        ulong appliedIndex = BinaryPrimitives.ReadUInt64BigEndian(header[5..]);
        ulong appliedTerm = BinaryPrimitives.ReadUInt64BigEndian(header[13..]);
        int sectionCount = header[21];

        var sections = new (IStateMachineModule Module, byte[] State)[sectionCount];
        Span<byte> prefix = stackalloc byte[SectionPrefixBytes];
        Span<byte> crc = stackalloc byte[4];
        int previousId = 0;
        for (int i = 0; i < sectionCount; i++)
        {
            ReadExactly(source, prefix, $"snapshot section {i} header");
            var id = new ModuleId(prefix[0]);
            if (id.Value <= previousId)
            {
                throw new InvalidDataException($"snapshot section {i} is for {id}, out of order after module {previousId}");
            }
            previousId = id.Value;
            var module = _byId[id.Value] ?? throw new InvalidDataException(
                $"snapshot holds a section for {id}, which this node does not run");
            ulong length = BinaryPrimitives.ReadUInt64BigEndian(prefix[1..]);
            var state = ReadSection(source, length, id);
            ReadExactly(source, crc, $"snapshot section for {id} checksum");
            if (BinaryPrimitives.ReadUInt32BigEndian(crc) != Crc32C.Append(Crc32C.Compute(prefix), state))
            {
                throw new InvalidDataException($"snapshot section for {id} checksum mismatch");
            }
            sections[i] = (module, state);
        }
        if (source.ReadByte() >= 0)
        {
            throw new InvalidDataException("snapshot has trailing bytes after its last section");
        }
        // A module the snapshot predates starts from its empty state.
        var restores = sections.ToList();
        foreach (var module in _modules)
        {
            if (!restores.Any(s => s.Module == module))
            {
                restores.Add((module, _emptyStates[module.Id]));
            }
        }

        foreach (var (module, state) in restores)
        {
            using var stream = new MemoryStream(state, writable: false);
            module.Restore(stream);
            if (stream.Position != stream.Length)
            {
                throw new InvalidDataException(
                    $"module {module.Id} left {stream.Length - stream.Position} bytes of its snapshot section unread");
            }
        }
        AppliedIndex = appliedIndex;
        AppliedTerm = appliedTerm;
    }

    private static byte[] ReadSection(Stream source, ulong length, ModuleId id)
    {
        if (length > (ulong)Array.MaxLength)
        {
            throw new InvalidDataException($"snapshot section for {id} declares {length} bytes, more than this node can hold");
        }
        if (source.CanSeek && length > (ulong)(source.Length - source.Position))
        {
            throw new InvalidDataException(
                $"snapshot truncated: section for {id} declares {length} bytes but {source.Length - source.Position} remain");
        }
        if (length <= ReadChunkBytes)
        {
            var small = new byte[length];
            ReadExactly(source, small, $"snapshot section for {id}");
            return small;
        }
        // An unseekable stream cannot tell how much is left: grow with the data that actually arrives
        // rather than trust a length that may be corrupt.
        using var buffer = new MemoryStream();
        var chunk = new byte[ReadChunkBytes];
        ulong left = length;
        while (left > 0)
        {
            var part = chunk.AsSpan(0, (int)Math.Min(left, ReadChunkBytes));
            ReadExactly(source, part, $"snapshot section for {id}");
            buffer.Write(part);
            left -= (ulong)part.Length;
        }
        return buffer.ToArray();
    }

    private static void ReadExactly(Stream source, Span<byte> destination, string what)
    {
        int read = source.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false);
        if (read < destination.Length)
        {
            throw new InvalidDataException($"snapshot truncated: {what} needs {destination.Length} bytes, {read} remain");
        }
    }
}
