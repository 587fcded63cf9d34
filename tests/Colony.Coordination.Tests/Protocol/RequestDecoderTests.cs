using Colony.Coordination.Protocol;

namespace Colony.Coordination.Tests.Protocol;

public sealed class RequestDecoderTests
{
    /// <summary>A body for every opcode a client may send, and the type the decoder must produce.</summary>
    public static TheoryData<OpCode> ClientOpCodes => [.. Requests.Keys];

    private static readonly Dictionary<OpCode, ClientRequest> Requests = new()
    {
        [OpCode.Ping] = EmptyRequest.Instance,
        [OpCode.CloseSession] = EmptyRequest.Instance,
        [OpCode.WhoAmI] = EmptyRequest.Instance,
        [OpCode.Create] = new CreateRequest("/a", [1], Acl.OpenUnsafe, CreateMode.Persistent),
        [OpCode.Create2] = new CreateRequest("/a", [1], Acl.OpenUnsafe, CreateMode.Ephemeral),
        [OpCode.CreateContainer] = new CreateRequest("/a", [1], Acl.OpenUnsafe, CreateMode.Container),
        [OpCode.CreateTtl] = new CreateTtlRequest("/a", [1], Acl.OpenUnsafe, CreateMode.PersistentSequentialWithTtl, 10),
        [OpCode.Delete] = new DeleteRequest("/a", 1),
        [OpCode.Exists] = new ExistsRequest("/a", true),
        [OpCode.GetData] = new GetDataRequest("/a", true),
        [OpCode.SetData] = new SetDataRequest("/a", null, 1),
        [OpCode.GetAcl] = new GetAclRequest("/a"),
        [OpCode.SetAcl] = new SetAclRequest("/a", Acl.ReadUnsafe, 0),
        [OpCode.GetChildren] = new GetChildrenRequest("/a", false),
        [OpCode.GetChildren2] = new GetChildren2Request("/a", true),
        [OpCode.Check] = new CheckVersionRequest("/a", 0),
        [OpCode.Sync] = new SyncRequest("/a"),
        [OpCode.Multi] = new MultiRequest([new MultiOp(OpCode.Delete, new DeleteRequest("/a", -1))]),
        [OpCode.MultiRead] = new MultiRequest([new MultiOp(OpCode.GetData, new GetDataRequest("/a", false))]),
        [OpCode.GetAllChildrenNumber] = new GetAllChildrenNumberRequest("/a"),
        [OpCode.GetEphemerals] = new GetEphemeralsRequest("/"),
        [OpCode.SetWatches] = new SetWatches(1, ["/a"], [], []),
        [OpCode.SetWatches2] = new SetWatches2(1, [], [], [], ["/p"], []),
        [OpCode.AddWatch] = new AddWatchRequest("/a", AddWatchMode.Persistent),
        [OpCode.CheckWatches] = new CheckWatchesRequest("/a", WatcherType.Children),
        [OpCode.RemoveWatches] = new RemoveWatchesRequest("/a", WatcherType.Data),
        [OpCode.Auth] = new AuthPacket(0, "digest", [1]),
        [OpCode.Sasl] = new SaslRequest([1]),
        [OpCode.Reconfig] = new ReconfigRequest(null, "3", null, 7),
    };

    [Theory]
    [MemberData(nameof(ClientOpCodes))]
    public void Decodes_each_opcode_to_its_body(OpCode type)
    {
        ClientRequest request = Requests[type];
        byte[] frame = Wire.Frame(new RequestHeader(17, type), request)[4..];

        ClientRequest decoded = RequestDecoder.Decode(frame, out RequestHeader header);

        Assert.Equal(new RequestHeader(17, type), header);
        Assert.IsType(request.GetType(), decoded);
        Equivalent.AssertEqual(request, decoded);
    }

    [Theory]
    [MemberData(nameof(ClientOpCodes))]
    public void Every_truncated_request_frame_throws_a_protocol_exception(OpCode type)
    {
        byte[] frame = Wire.Frame(new RequestHeader(17, type), Requests[type])[4..];

        for (int cut = 0; cut < frame.Length; cut++)
        {
            byte[] prefix = frame[..cut];
            Assert.Throws<ProtocolException>(() => RequestDecoder.Decode(prefix, out _));
        }
    }

    [Theory]
    [InlineData(OpCode.Notification)]
    [InlineData(OpCode.DeleteContainer)]
    [InlineData(OpCode.CreateSession)]
    [InlineData(OpCode.Error)]
    [InlineData((OpCode)999)]
    public void Opcodes_a_client_may_not_send_are_unsupported(OpCode type)
    {
        byte[] frame = Wire.Frame(new RequestHeader(1, type), new SyncRequest("/"))[4..];

        var error = Assert.Throws<ProtocolException>(() => RequestDecoder.Decode(frame, out _));

        Assert.Equal(ProtocolError.UnsupportedOperation, error.Error);
    }

    [Fact]
    public void Connect_request_has_no_header_and_reads_directly()
    {
        var connect = new ConnectRequest(0, 5, 10_000, 0, new byte[16], ReadOnly: false);
        byte[] frame = Wire.Frame(connect)[4..];

        Equivalent.AssertEqual(connect, Jute.Decode<ConnectRequest>(frame));
    }
}
