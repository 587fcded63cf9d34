using System.Buffers;
using Colony.Consensus;
using Colony.Consensus.Storage;
using Colony.Consensus.Wire;
using Colony.Coordination;
using Colony.Coordination.Commands;
using Colony.Coordination.Protocol;
using Colony.Testing.Storage;

namespace Colony.Fuzz;

/// <summary>
/// Valid inputs for each target, produced by the real encoders, so the fuzzer starts from the shapes
/// the decoders accept and mutates inward from there.
/// </summary>
public static class SeedCorpus
{
    public static IEnumerable<(string Target, string Name, byte[] Bytes)> All()
    {
        yield return ("jute", "connect-and-requests", JuteSession());
        foreach (var (name, bytes) in PeerMessages())
        {
            yield return ("peer-frame", name, bytes);
            yield return ("peer-payload", name, bytes[WireFormat.FrameHeaderBytes..]);
        }
        foreach (var (name, bytes) in Commands())
        {
            yield return ("coordination-command", name, bytes);
        }
        yield return ("wal", "segment", WalSegment());
        foreach (var seed in StorageAndHttpSeeds.All())
        {
            yield return seed;
        }
    }

    /// <summary>Writes every seed under <paramref name="directory"/>/TARGET/NAME.</summary>
    public static void Write(string directory)
    {
        foreach (var (target, name, bytes) in All())
        {
            Directory.CreateDirectory(Path.Combine(directory, target));
            File.WriteAllBytes(Path.Combine(directory, target, name), bytes);
        }
    }

    private static byte[] JuteSession()
    {
        var output = new ArrayBufferWriter<byte>();
        FrameWriter.Write(output, new ConnectRequest(0, 0, 30_000, 0, new byte[16], false));
        int xid = 1;
        ClientRequest[] requests =
        [
            new CreateRequest("/seed", [1, 2, 3], [new Acl(Perms.All, Id.Anyone)], CreateMode.PersistentSequential),
            new GetDataRequest("/seed", true),
            new SetDataRequest("/seed", [4], 0),
            new GetChildren2Request("/", false),
            new SetAclRequest("/seed", [new Acl(Perms.Read, new Id("digest", "u:p"))], -1),
            new DeleteRequest("/seed", -1),
            new AuthPacket(0, "digest", "u:p"u8.ToArray()),
        ];
        OpCode[] codes = [OpCode.Create2, OpCode.GetData, OpCode.SetData, OpCode.GetChildren2, OpCode.SetAcl, OpCode.Delete, OpCode.Auth];
        for (int i = 0; i < requests.Length; i++)
        {
            FrameWriter.Write(output, new RequestHeader(xid++, codes[i]), requests[i]);
        }
        return output.WrittenSpan.ToArray();
    }

    private static IEnumerable<(string, byte[])> PeerMessages()
    {
        Message[] messages =
        [
            new() { Type = MessageType.Append, From = 1, To = 2, Term = 3, LogTerm = 2, Index = 7, Commit = 6, Entries = [new Entry(8, 3, EntryType.Normal, new byte[] { 1, 2, 3 })] },
            new() { Type = MessageType.AppendResponse, From = 2, To = 1, Term = 3, Index = 8, Reject = true, RejectHint = 5 },
            new() { Type = MessageType.Vote, From = 1, To = 3, Term = 4, LogTerm = 3, Index = 8 },
            new() { Type = MessageType.Heartbeat, From = 1, To = 2, Term = 4, Commit = 8, Context = 9 },
            new() { Type = MessageType.Commit, From = 1, To = 2, Term = 4, Commit = 9 },
            new() { Type = MessageType.Durable, From = 1, To = 2, Term = 4, Index = 9 },
        ];
        int n = 0;
        foreach (var message in messages)
        {
            var output = new ArrayBufferWriter<byte>();
            MessageCodec.Default.WriteFrame(message, output);
            yield return ($"message-{n++}-{message.Type}", output.WrittenSpan.ToArray());
        }
    }

    private static IEnumerable<(string, byte[])> Commands()
    {
        var create = new CoordinationCommand(1, 0x100, 5, 1_700_000_000_000, [new Id("digest", "u:hash")],
            new Op.Create("/a", [1, 2], [new Acl(Perms.All, Id.Anyone)], CreateMode.Ephemeral, 0));
        yield return ("create", CoordinationCommandCodec.Encode(create));
        var set = create with { Operation = new Op.SetData("/a", [9], 3) };
        yield return ("set-data", CoordinationCommandCodec.Encode(set));
    }

    private static byte[] WalSegment()
    {
        var fileSystem = new SimFileSystem();
        using (var store = new SegmentedLogStore(fileSystem, "wal"))
        {
            store.Load();
            store.SetHardState(new HardState(2, 1, 1));
            store.Append([new Entry(1, 1, EntryType.Normal, new byte[] { 1, 2, 3 }), new Entry(2, 2, EntryType.Normal, new byte[] { 4 })]);
            store.Sync();
        }
        string segment = fileSystem.ListFiles("wal").Single(f => f.EndsWith(".wal", StringComparison.Ordinal));
        using var file = fileSystem.Open(Path.Combine("wal", segment), FileOpenMode.Read);
        byte[] bytes = new byte[file.Length];
        file.Read(0, bytes);
        return bytes;
    }
}
