using System.Buffers.Binary;
using Colony.Core;

namespace Colony.Consensus.Storage;

/// <summary>
/// One snapshot per file, little-endian:
/// <c>["CSNP": u32][version: u16][reserved: u16][index: u64][term: u64][membership bytes: u32][data bytes: u64]</c>,
/// then the encoded membership, the data, and a CRC32C of everything before it (u32).
/// Written under a temporary name and renamed, so a reader sees a whole snapshot or none.
/// </summary>
internal static class SnapshotFile
{
    public const uint Magic = 0x504E5343; // "CSNP"
    public const ushort FormatVersion = 1;
    public const int HeaderBytes = 36;
    public const int TrailerBytes = 4;

    /// <summary>A membership lists node ids; a megabyte holds over a hundred thousand of them.</summary>
    public const int MaxMembershipBytes = 1 << 20;

    /// <summary>
    /// Writes <paramref name="snapshot"/> durably under its final name: temporary file, write, fsync,
    /// rename, fsync of the directory. Returns the number of fsyncs done.
    /// </summary>
    public static int Write(IFileSystem fileSystem, string directory, Snapshot snapshot)
    {
        var metadata = snapshot.Metadata;
        byte[] membership = metadata.Membership.Encode();
        Invariant.Check(membership.Length <= MaxMembershipBytes, "membership of {0} bytes is over the limit", membership.Length);

        var head = new byte[HeaderBytes + membership.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(head, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(head.AsSpan(4), FormatVersion);
        BinaryPrimitives.WriteUInt64LittleEndian(head.AsSpan(8), metadata.Index);
        BinaryPrimitives.WriteUInt64LittleEndian(head.AsSpan(16), metadata.Term);
        BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(24), (uint)membership.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(head.AsSpan(28), (ulong)snapshot.Data.Length);
        membership.CopyTo(head.AsSpan(HeaderBytes));

        var trailer = new byte[TrailerBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(trailer, Crc32C.Append(Crc32C.Compute(head), snapshot.Data.Span));

        string finalPath = Path.Combine(directory, StorageFileNames.Snapshot(metadata.Index));
        string tempPath = Path.Combine(directory, StorageFileNames.Temp(StorageFileNames.Snapshot(metadata.Index)));
        using (var file = fileSystem.Open(tempPath, FileOpenMode.CreateOrTruncate))
        {
            file.Write(0, head);
            file.Write(head.Length, snapshot.Data.Span);
            file.Write(head.Length + (long)snapshot.Data.Length, trailer);
            file.Sync();
        }
        fileSystem.Rename(tempPath, finalPath);
        fileSystem.SyncDirectory(directory);
        return 2;
    }

    /// <summary>
    /// Reads and verifies a snapshot file. Returns null if it is partial or its checksum fails (so the
    /// caller falls back to an older one); throws if a checksummed file does not decode, which means a
    /// bug or a newer format rather than a torn write.
    /// </summary>
    public static Snapshot? TryRead(IFileSystem fileSystem, string path)
    {
        byte[] bytes;
        using (var file = fileSystem.Open(path, FileOpenMode.Read))
        {
            long length = file.Length;
            if (length < HeaderBytes + TrailerBytes || length > Array.MaxLength)
            {
                return null;
            }
            bytes = new byte[length];
            if (file.Read(0, bytes) != bytes.Length)
            {
                return null;
            }
        }
        int crcOffset = bytes.Length - TrailerBytes;
        if (Crc32C.Compute(bytes.AsSpan(0, crcOffset)) != BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(crcOffset)))
        {
            return null;
        }

        var span = bytes.AsSpan();
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(span);
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(span[4..]);
        if (magic != Magic || version != FormatVersion)
        {
            throw new InvalidDataException($"snapshot '{path}' has magic 0x{magic:X8} version {version}; expected 0x{Magic:X8} version {FormatVersion}");
        }
        ulong index = BinaryPrimitives.ReadUInt64LittleEndian(span[8..]);
        ulong term = BinaryPrimitives.ReadUInt64LittleEndian(span[16..]);
        uint membershipBytes = BinaryPrimitives.ReadUInt32LittleEndian(span[24..]);
        ulong dataBytes = BinaryPrimitives.ReadUInt64LittleEndian(span[28..]);
        if (membershipBytes > MaxMembershipBytes || HeaderBytes + membershipBytes + dataBytes + TrailerBytes != (ulong)bytes.Length)
        {
            throw new InvalidDataException($"snapshot '{path}' declares {membershipBytes} membership and {dataBytes} data bytes but is {bytes.Length} bytes long");
        }
        Membership membership;
        try
        {
            membership = Membership.Decode(span.Slice(HeaderBytes, (int)membershipBytes));
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"snapshot '{path}' has an undecodable membership: {e.Message}", e);
        }
        var data = bytes.AsMemory(HeaderBytes + (int)membershipBytes, (int)dataBytes);
        return new Snapshot(new SnapshotMetadata(index, term, membership), data);
    }
}
