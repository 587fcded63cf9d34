using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Colony.Client.Jobs;
using Colony.Compute.Jobs;
using Colony.Core;
using Colony.Node.FileSystem;
using Colony.Storage.Blocks;
using Colony.Storage.Blocks.Transfer;
using static Colony.Fuzz.StorageAndHttpTargets;

namespace Colony.Fuzz;

/// <summary>Seeds for the storage and HTTP targets, made by the encoders the node and the clients use.</summary>
public static class StorageAndHttpSeeds
{
    private const int ChunkSize = ChunkChecksums.MinChunkSize;

    public static IEnumerable<(string Target, string Name, byte[] Bytes)> All()
    {
        byte[] data = new byte[(2 * ChunkSize) + 100];
        new Random(7).NextBytes(data);
        yield return ("block-sidecar", "finalized", Replica(data, partial: false, checksums: 3));
        yield return ("block-sidecar", "being-written", Replica(data, partial: true, checksums: 2));
        yield return ("block-sidecar", "empty", Replica([], partial: false, checksums: 0));

        yield return ("block-transfer", "write-pipeline", [.. WriteFrame(), .. Packet(data, 0, last: true), .. AckFrame()]);
        yield return ("block-transfer", "read", [.. ReadFrame(), .. ReadReplyFrame(data.Length), .. Packet(data, 0, last: true)]);

        foreach (var (kind, body) in ChangeBodies())
        {
            yield return ("http-api", $"{kind}".ToLowerInvariant(), [(byte)kind, .. body]);
        }
        var job = new JobRequest { Name = "wordcount", Inputs = ["/user/colony/in", "/user/colony/in/b.txt"], Output = "/user/colony/out", Reducers = 2, Settings = new() { ["mapper"] = "WordCount" } };
        yield return ("http-api", "job", [(byte)HttpInput.Job, .. JsonSerializer.SerializeToUtf8Bytes(job, JobJson.Default.JobRequest)]);
        yield return ("http-api", "locations", [(byte)HttpInput.Query, .. "?path=/user/colony/in/b.txt&offset=10&length=500"u8]);
        yield return ("http-api", "list", [(byte)HttpInput.Query, .. "path=%2Fuser%2Fcolony"u8]);
        yield return ("http-api", "job-id", [(byte)HttpInput.RouteId, .. Encoding.UTF8.GetBytes(new JobId(12).ToString())]);
        yield return ("http-api", "attempt-id", [(byte)HttpInput.RouteId, .. Encoding.UTF8.GetBytes(new AttemptId(new TaskId(new JobId(12), TaskKind.Map, 3), 1).ToString())]);
    }

    /// <summary>A flags byte, the sidecar's length, a sidecar as ReplicaWriter writes it, then the data file.</summary>
    private static byte[] Replica(byte[] data, bool partial, int checksums)
    {
        byte[] meta = new byte[BlockMetaHeader.Size + (checksums * sizeof(uint))];
        new BlockMetaHeader(SidecarBlock, ChunkSize).Write(meta);
        byte[] all = new byte[ChunkChecksums.ChunkCount(data.Length, ChunkSize) * sizeof(uint)];
        ChunkChecksums.Compute(data, ChunkSize, all);
        all.AsSpan(0, checksums * sizeof(uint)).CopyTo(meta.AsSpan(BlockMetaHeader.Size));
        byte[] input = new byte[3 + meta.Length + data.Length];
        input[0] = partial ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt16LittleEndian(input.AsSpan(1), (ushort)meta.Length);
        meta.CopyTo(input, 3);
        data.CopyTo(input, 3 + meta.Length);
        return input;
    }

    private static byte[] WriteFrame()
    {
        string token = new BlockAccessToken(SidecarBlock, BlockAccessMode.Write, "alice", 1_800_000_000_000).Sign(TokenKey);
        var request = new WriteBlockRequest(SidecarBlock, 0, 1124, ChunkSize, "client-1", ["127.0.0.1:9867", "127.0.0.1:9868"], token);
        byte[] frame = new byte[request.FrameLength];
        request.WriteFrame(frame);
        return frame;
    }

    private static byte[] AckFrame()
    {
        var ack = new PipelineAck(0, [TransferStatus.Ok, TransferStatus.Ok, TransferStatus.ChecksumError], "chunk 1 of blk_7_3 did not match");
        byte[] frame = new byte[ack.FrameLength];
        return frame[..ack.WriteFrame(frame)];
    }

    private static byte[] ReadFrame()
    {
        string token = new BlockAccessToken(SidecarBlock, BlockAccessMode.Read, "alice", 1_800_000_000_000).Sign(TokenKey);
        var request = new ReadBlockRequest(SidecarBlock, 100, 900, token);
        byte[] frame = new byte[request.FrameLength];
        return frame[..request.WriteFrame(frame)];
    }

    private static byte[] ReadReplyFrame(long blockLength)
    {
        var reply = new ReadBlockReply(TransferStatus.Ok, ChunkSize, blockLength, 0, blockLength);
        byte[] frame = new byte[reply.FrameLength];
        return frame[..reply.WriteFrame(frame)];
    }

    /// <summary>A data packet as a pipeline stage sends it: headers, then the checksums and data filled in place.</summary>
    private static byte[] Packet(byte[] data, long seqno, bool last)
    {
        var packet = new DataPacketHeader(seqno, 0, last, data.Length);
        byte[] frame = new byte[packet.FrameLength(ChunkSize)];
        packet.WriteHeaders(frame, ChunkSize);
        ChunkChecksums.Compute(data, ChunkSize, frame.AsSpan(DataPacketHeader.ChecksumsOffset));
        data.CopyTo(frame, packet.DataOffset(ChunkSize));
        return frame;
    }

    private static IEnumerable<(HttpInput, byte[])> ChangeBodies()
    {
        (HttpInput Kind, FsChangeRequest Request)[] changes =
        [
            (HttpInput.Mkdirs, new FsChangeRequest { Path = "/user/colony/new/dir", Mode = "750", User = "alice" }),
            (HttpInput.Rename, new FsChangeRequest { Path = "/user/colony/in/b.txt", Destination = "/user/colony/b-moved.txt" }),
            (HttpInput.Delete, new FsChangeRequest { Path = "/user/colony/in", Recursive = true, User = "colony" }),
            (HttpInput.SetReplication, new FsChangeRequest { Path = "/user/colony/in/b.txt", Replication = 2 }),
            (HttpInput.Chmod, new FsChangeRequest { Path = "/user/colony/in", Mode = "0700" }),
        ];
        foreach (var (kind, request) in changes)
        {
            yield return (kind, JsonSerializer.SerializeToUtf8Bytes(request, FsJson.Default.FsChangeRequest));
        }
    }
}
