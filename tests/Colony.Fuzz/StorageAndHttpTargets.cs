using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Colony.Client.Jobs;
using Colony.Compute.Jobs;
using Colony.Core;
using Colony.Node.Compute;
using Colony.Node.FileSystem;
using Colony.Storage.Blocks;
using Colony.Storage.Blocks.Transfer;
using Colony.Storage.Namespace;
using Microsoft.AspNetCore.WebUtilities;

namespace Colony.Fuzz;

/// <summary>
/// Targets for the storage side's untrusted input: replica checksum sidecars read from disk, block transfer
/// frames read from the network, and the HTTP API's parameters and JSON bodies.
/// </summary>
public static class StorageAndHttpTargets
{
    /// <summary>The replica every sidecar input claims to describe (the seeds are written for it).</summary>
    public static readonly BlockVersion SidecarBlock = new(new BlockId(7), new GenerationStamp(3));

    /// <summary>The key the block transfer seeds' tokens are signed with, so a seed's token passes the check.</summary>
    public static readonly byte[] TokenKey = BlockAccessToken.DeriveKey("fuzz cluster secret"u8);

    /// <summary>The HTTP inputs, by the selector byte that starts an <see cref="HttpApi"/> input.</summary>
    public enum HttpInput : byte
    {
        Mkdirs,
        Rename,
        Delete,
        SetReplication,
        Chmod,
        Job,
        Query,
        RouteId,
        Count,
    }

    /// <summary>
    /// A replica's files as found on a data node's disk. Input: a flags byte (bit 0: the replica is
    /// being written), the sidecar's length (u16 LE), the sidecar, then the data file. The node must
    /// either refuse the replica with a reason or serve it with every chunk verified.
    /// </summary>
    public static void BlockSidecar(ReadOnlySpan<byte> input)
    {
        if (input.Length < 3)
        {
            return;
        }
        bool partial = (input[0] & 1) != 0;
        int metaLength = Math.Min(BinaryPrimitives.ReadUInt16LittleEndian(input[1..]), input.Length - 3);
        ReadOnlySpan<byte> meta = input.Slice(3, metaLength);
        ReadOnlySpan<byte> data = input[(3 + metaLength)..];
        var (chunkSize, length, problem) = ReplicaSidecar.Inspect(meta[..Math.Min(meta.Length, BlockMetaHeader.Size)], meta.Length, data.Length, SidecarBlock, partial);
        if (problem is not null)
        {
            return;
        }
        // What a reader then does: check every chunk it may serve against its stored checksum.
        int chunks = checked((int)ChunkChecksums.ChunkCount(length, chunkSize));
        ChunkChecksums.FindMismatch(data[..checked((int)length)], chunkSize, meta.Slice(BlockMetaHeader.Size, chunks * sizeof(uint)));
        if (length > 0)
        {
            // And a read of the middle of the replica, as ReadHandler aligns it.
            var range = ChunkChecksums.Covering(length / 3, length / 3, length, chunkSize);
            ChunkChecksums.FindMismatch(data.Slice((int)range.Offset, (int)range.Length), chunkSize,
                meta.Slice((int)BlockMetaHeader.ChecksumOffset(range.FirstChunk), (int)range.ChunkCount * sizeof(uint)));
        }
    }

    /// <summary>
    /// A byte stream on the block transfer port, in either direction: frames of every type, decoded as the
    /// node and the client decode them; a request's block access token is checked as the node checks it; a
    /// data packet is checked against the chunk size in force.
    /// </summary>
    public static void BlockTransfer(ReadOnlySpan<byte> input)
    {
        int chunkSize = ChunkChecksums.DefaultChunkSize; // until a WriteBlock or a ReadReply names one
        try
        {
            while (input.Length >= FrameHeader.Size)
            {
                var header = FrameHeader.Read(input);
                if (input.Length - FrameHeader.Size < header.BodyLength)
                {
                    return; // the connection would wait for the rest, then time out
                }
                ReadOnlySpan<byte> body = input.Slice(FrameHeader.Size, header.BodyLength);
                input = input[(FrameHeader.Size + header.BodyLength)..];
                switch (header.Type)
                {
                    case FrameType.WriteBlock:
                        var write = WriteBlockRequest.Decode(body);
                        _ = BlockAccessToken.Verify(TokenKey, write.Token, write.Version, [BlockAccessMode.Write, BlockAccessMode.Copy], 0);
                        chunkSize = write.ChunkSize;
                        break;
                    case FrameType.PipelineAck:
                        _ = PipelineAck.Decode(body).FirstFailure;
                        break;
                    case FrameType.ReadBlock:
                        var read = ReadBlockRequest.Decode(body);
                        _ = BlockAccessToken.Verify(TokenKey, read.Token, read.Version, [BlockAccessMode.Read], 0);
                        _ = BlockAccessToken.Parse(read.Token);
                        break;
                    case FrameType.ReadReply:
                        chunkSize = ReadBlockReply.Decode(body).ChunkSize;
                        break;
                    case FrameType.DataPacket:
                        var packet = DataPacketHeader.Decode(body, chunkSize);
                        int sums = packet.ChecksumCount(chunkSize) * sizeof(uint);
                        ChunkChecksums.FindMismatch(body.Slice(DataPacketHeader.Size + sums, packet.DataLength), chunkSize, body.Slice(DataPacketHeader.Size, sums));
                        break;
                }
            }
        }
        catch (BlockProtocolException)
        {
            // Malformed: the connection is closed; that is the contract.
        }
    }

    /// <summary>
    /// What a client sends the HTTP API: a selector byte (<see cref="HttpInput"/>), then a JSON body (a namespace
    /// change or a job), a query string (the read endpoints' path, offset and length), or a route id (a job or an
    /// attempt). Parsed as the endpoints parse it and, for a change, run through the log's codec and applied to a
    /// namespace. A bad input must end as a 4xx answer: <see cref="JsonException"/> (ASP.NET's 400 for a body that
    /// does not bind), a refusal, or an error result; any other exception would be a 500.
    /// </summary>
    public static void HttpApi(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }
        var kind = (HttpInput)(input[0] % (byte)HttpInput.Count);
        ReadOnlySpan<byte> rest = input[1..];
        var tree = SampleNamespace();
        try
        {
            switch (kind)
            {
                case HttpInput.Job:
                    Job(rest);
                    break;
                case HttpInput.Query:
                    Query(tree, Encoding.UTF8.GetString(rest));
                    break;
                case HttpInput.RouteId:
                    string id = Encoding.UTF8.GetString(rest);
                    JobId.TryParse(id, out _);
                    AttemptId.TryParse(id, out _);
                    break;
                default:
                    Change(tree, FsEndpoints.ChangeOperations[(int)kind], rest);
                    break;
            }
        }
        catch (JsonException)
        {
        }
    }

    private static void Change(NamespaceTree tree, string operation, ReadOnlySpan<byte> body)
    {
        if (JsonSerializer.Deserialize(body, FsJson.Default.FsChangeRequest) is not { } request)
        {
            return;
        }
        var (command, _) = FsEndpoints.ChangeCommand(operation, request, "fuzz", 2_000, tree.Stat);
        if (command is null)
        {
            return;
        }
        // As the leader does: the command goes through the log's codec, then every replica applies it.
        var applied = NamespaceCommandCodec.Decode(NamespaceCommandCodec.Encode(command));
        tree.Apply(applied);
    }

    private static void Job(ReadOnlySpan<byte> body)
    {
        if (JsonSerializer.Deserialize(body, JobJson.Default.JobRequest) is not { } request)
        {
            return;
        }
        try
        {
            JobSubmitter.Check(request);
        }
        catch (JobRejectedException)
        {
        }
    }

    private static void Query(NamespaceTree tree, string query)
    {
        var values = QueryHelpers.ParseQuery(query);
        // Minimal APIs bind the first value; an unparsable number is a 400 before the handler runs.
        string? path = values.TryGetValue("path", out var p) ? p[0] : null;
        long? offset = null, length = null;
        if (values.TryGetValue("offset", out var o))
        {
            if (!long.TryParse(o[0], System.Globalization.CultureInfo.InvariantCulture, out long value))
            {
                return;
            }
            offset = value;
        }
        if (values.TryGetValue("length", out var l))
        {
            if (!long.TryParse(l[0], System.Globalization.CultureInfo.InvariantCulture, out long value))
            {
                return;
            }
            length = value;
        }
        string target = path ?? "/";
        tree.Stat(target);
        tree.List(target);
        tree.Summarize(target);
        if (path is not null)
        {
            var (from, count) = FsEndpoints.LocationsRange(offset, length);
            tree.GetBlockLocations(path, from, count);
        }
    }

    /// <summary>A small namespace to aim at: directories, a file with a block, and a trash.</summary>
    private static NamespaceTree SampleNamespace()
    {
        var tree = new NamespaceTree();
        tree.Apply(new NamespaceCommand.Mkdirs("/user/colony/in", "colony", "colony", 0x1ED, 1_000));
        tree.Apply(new NamespaceCommand.Create("/user/colony/in/a.txt", "client-1", "colony", "colony", 0x1A4, 3, 1 << 20, false, true, 1_000));
        tree.Apply(new NamespaceCommand.MoveToTrash("/user/colony/in/a.txt", "colony", 1_500));
        tree.Apply(new NamespaceCommand.Create("/user/colony/in/b.txt", "client-1", "colony", "colony", 0x1A4, 3, 1 << 20, false, true, 1_600));
        var block = tree.Apply(new NamespaceCommand.AddBlock("/user/colony/in/b.txt", "client-1", [new NodeId(1)], 1_700)).Block!.Value;
        tree.Apply(new NamespaceCommand.CommitBlock("/user/colony/in/b.txt", "client-1", block.Version, 1000, 42));
        tree.Apply(new NamespaceCommand.Complete("/user/colony/in/b.txt", "client-1", 1_800));
        return tree;
    }
}
