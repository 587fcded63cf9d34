using System.Buffers;
using System.Buffers.Binary;
using Colony.Consensus.Storage;
using Colony.Consensus.Wire;
using Colony.Coordination.Commands;
using Colony.Coordination.Protocol;
using Colony.Core;
using Colony.Testing.Storage;

namespace Colony.Fuzz;

/// <summary>
/// One fuzz target per decoder that reads bytes from outside the process. Each must either decode or
/// throw its documented <see cref="FormatException"/> (or, for a log on disk, <see cref="LogStoreFailedException"/>):
/// anything else — an index out of range, a null dereference, a huge allocation — escapes and is a crash.
/// </summary>
public static class FuzzTargets
{
    /// <summary>The targets by name, as run.sh and the corpus directories name them.</summary>
    public static readonly IReadOnlyDictionary<string, Action<ReadOnlySpan<byte>>> All = new Dictionary<string, Action<ReadOnlySpan<byte>>>
    {
        ["jute"] = Jute,
        ["peer-frame"] = PeerFrame,
        ["peer-payload"] = PeerPayload,
        ["coordination-command"] = CoordinationCommand,
        ["wal"] = Wal,
        ["block-sidecar"] = StorageAndHttpTargets.BlockSidecar,
        ["block-transfer"] = StorageAndHttpTargets.BlockTransfer,
        ["http-api"] = StorageAndHttpTargets.HttpApi,
    };

    /// <summary>
    /// A client's byte stream on the ZooKeeper port: length-prefixed frames, the first a connect
    /// request, the rest requests (as ClientConnection reads them).
    /// </summary>
    public static void Jute(ReadOnlySpan<byte> input)
    {
        var buffer = new ReadOnlySequence<byte>(input.ToArray());
        bool first = true;
        try
        {
            while (FrameReader.TryReadFrame(ref buffer, 1 << 20, out var frame))
            {
                byte[] bytes = frame.ToArray();
                if (first)
                {
                    var reader = new JuteReader(bytes);
                    ConnectRequest.Read(ref reader);
                    first = false;
                }
                else
                {
                    RequestDecoder.Decode(bytes, out _);
                }
            }
        }
        catch (FormatException)
        {
            // Malformed: the connection is closed with a clear error; that is the contract.
        }
    }

    /// <summary>Raw bytes on the peer port, checksum and all.</summary>
    public static void PeerFrame(ReadOnlySpan<byte> input)
    {
        try
        {
            while (MessageCodec.Default.TryReadFrame(ref input, out _))
            {
            }
        }
        catch (FormatException)
        {
        }
    }

    /// <summary>
    /// A payload behind a valid frame header and checksum, so mutations reach the message decoder
    /// instead of dying at the CRC.
    /// </summary>
    public static void PeerPayload(ReadOnlySpan<byte> input)
    {
        byte[] frame = new byte[WireFormat.FrameHeaderBytes + input.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)input.Length);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), Crc32C.Compute(input));
        input.CopyTo(frame.AsSpan(WireFormat.FrameHeaderBytes));
        PeerFrame(frame);
    }

    /// <summary>A replicated coordination command, as a replica decodes it from its log.</summary>
    public static void CoordinationCommand(ReadOnlySpan<byte> input)
    {
        try
        {
            CoordinationCommandCodec.Decode(input);
        }
        catch (FormatException)
        {
        }
    }

    /// <summary>
    /// A write-ahead log segment as found on disk after a crash or by a disk that rots: recovery must
    /// keep what is intact, cut a torn tail, or refuse to start with <see cref="LogStoreFailedException"/>
    /// (a corrupt record that is not a torn tail: the node stops rather than lose acknowledged writes).
    /// </summary>
    public static void Wal(ReadOnlySpan<byte> input)
    {
        var fileSystem = new SimFileSystem();
        fileSystem.CreateDirectory("wal");
        using (var file = fileSystem.Open("wal/0000000000000001.wal", FileOpenMode.CreateNew))
        {
            file.Write(0, input);
            file.Sync();
        }
        fileSystem.SyncDirectory("wal");
        try
        {
            using var store = new SegmentedLogStore(fileSystem, "wal");
            var state = store.Load();
            _ = state.Entries.Count;
        }
        catch (LogStoreFailedException e) when (e.InnerException is InvalidDataException)
        {
        }
    }
}
