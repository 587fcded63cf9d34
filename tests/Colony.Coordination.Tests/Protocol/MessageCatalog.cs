using Colony.Coordination.Protocol;

namespace Colony.Coordination.Tests.Protocol;

/// <summary>A sample of one message: its encoding and how to decode it.</summary>
internal sealed record Sample(string Name, object Message, byte[] Bytes, Func<byte[], object> Decode, int OptionalTailBytes)
{
    public override string ToString() => Name;
}

/// <summary>At least one sample of every message, shared by the round-trip, truncation and fuzz tests.</summary>
internal static class MessageCatalog
{
    public static readonly Stat SampleStat = new(
        Czxid: 0x0102030405060708,
        Mzxid: 0x1112131415161718,
        Ctime: 1_700_000_000_000,
        Mtime: 1_700_000_000_123,
        Version: 7,
        Cversion: -1,
        Aversion: 3,
        EphemeralOwner: 0x7766554433221100,
        DataLength: 5,
        NumChildren: 2,
        Pzxid: long.MaxValue);

    private static readonly Acl[] SomeAcls =
    [
        new Acl(Perms.All, Id.Anyone),
        new Acl(Perms.Read | Perms.Admin, new Id("digest", "bob:0123456789abcdef=")),
    ];

    public static readonly IReadOnlyList<Sample> All =
    [
        Of(new ConnectRequest(0, 0x1234, 30_000, 0x55, new byte[16], ReadOnly: true), optionalTail: 1),
        Of(new ConnectRequest(0, 0, 4_000, 0, [], ReadOnly: false), "ConnectRequest/empty password", optionalTail: 1),
        Of(new ConnectResponse(0, 30_000, 0x0102030405060708, [1, 2, 3], ReadOnly: true), optionalTail: 1),
        Of(new RequestHeader(42, OpCode.GetData)),
        Of(new ReplyHeader(42, 0x100000002, ErrorCode.NoNode)),
        Of(new MultiHeader(OpCode.SetData, false, ErrorCode.Ok)),
        Of(new CreateRequest("/app/lock-", [1, 2, 3], SomeAcls, CreateMode.EphemeralSequential)),
        Of(new CreateRequest("/ünïcødé/节点", null, Acl.OpenUnsafe, CreateMode.Container), "CreateRequest/null data"),
        Of(new CreateTtlRequest("/ttl", [9], Acl.CreatorAll, CreateMode.PersistentWithTtl, 60_000)),
        Of(new DeleteRequest("/a/b", -1)),
        Of(new CheckVersionRequest("/a", 4)),
        Of(new ExistsRequest("/a", true)),
        Of(new GetDataRequest("/a", false)),
        Of(new SetDataRequest("/a", [0xff, 0x00], 12)),
        Of(new SetDataRequest("/a", [], -1), "SetDataRequest/empty data"),
        Of(new GetAclRequest("/a")),
        Of(new SetAclRequest("/a", SomeAcls, 2)),
        Of(new GetChildrenRequest("/", true)),
        Of(new GetChildren2Request("/x", false)),
        Of(new SyncRequest("/")),
        Of(new GetAllChildrenNumberRequest("/a")),
        Of(new GetEphemeralsRequest("/")),
        Of(new ReconfigRequest("server.4=h:1:2;3", null, null, -1)),
        Of(new SaslRequest([1, 2])),
        Of(new AuthPacket(0, "digest", "bob:secret"u8.ToArray())),
        Of(new SetWatches(0x99, ["/d"], ["/e1", "/e2"], [])),
        Of(new SetWatches2(0x99, ["/d"], [], ["/c"], ["/p"], ["/r", "/r2"])),
        Of(new AddWatchRequest("/a", AddWatchMode.PersistentRecursive)),
        Of(new CheckWatchesRequest("/a", WatcherType.Data)),
        Of(new RemoveWatchesRequest("/a", WatcherType.Any)),
        Of(new WatcherEvent(EventType.NodeChildrenChanged, KeeperState.SyncConnected, "/a")),
        Of(new WatcherEvent(EventType.None, KeeperState.Expired, null), "WatcherEvent/null path"),
        Of(new CreateResponse("/app/lock-0000000001")),
        Of(new Create2Response("/a", SampleStat)),
        Of(new ExistsResponse(SampleStat)),
        Of(new GetDataResponse([1, 2, 3, 4, 5], SampleStat)),
        Of(new GetDataResponse(null, SampleStat), "GetDataResponse/null data"),
        Of(new SetDataResponse(SampleStat)),
        Of(new GetAclResponse(SomeAcls, SampleStat)),
        Of(new SetAclResponse(SampleStat)),
        Of(new GetChildrenResponse(["a", "b", "ccc"])),
        Of(new GetChildren2Response(["only"], SampleStat)),
        Of(new SyncResponse("/")),
        Of(new GetAllChildrenNumberResponse(12345)),
        Of(new GetEphemeralsResponse(["/e1", "/x/e2"])),
        Of(new WhoAmIResponse([new ClientInfo("ip", "127.0.0.1"), new ClientInfo("digest", "bob")])),
        Of(new ErrorResponse(ErrorCode.BadVersion)),
        Of(new MultiRequest(
        [
            new MultiOp(OpCode.Create, new CreateRequest("/m", null, Acl.OpenUnsafe, CreateMode.Persistent)),
            new MultiOp(OpCode.Create2, new CreateRequest("/m2", [1], Acl.OpenUnsafe, CreateMode.Ephemeral)),
            new MultiOp(OpCode.CreateContainer, new CreateRequest("/mc", [], Acl.OpenUnsafe, CreateMode.Container)),
            new MultiOp(OpCode.CreateTtl, new CreateTtlRequest("/mt", [], Acl.OpenUnsafe, CreateMode.PersistentWithTtl, 5)),
            new MultiOp(OpCode.Delete, new DeleteRequest("/d", 3)),
            new MultiOp(OpCode.SetData, new SetDataRequest("/s", [7], -1)),
            new MultiOp(OpCode.Check, new CheckVersionRequest("/c", 0)),
        ])),
        Of(new MultiRequest(
        [
            new MultiOp(OpCode.GetData, new GetDataRequest("/a", false)),
            new MultiOp(OpCode.GetChildren, new GetChildrenRequest("/b", false)),
        ]), "MultiRequest/reads"),
        Of(new MultiResponse(
        [
            new CreateResult("/m"),
            new Create2Result("/m2", SampleStat),
            DeleteResult.Instance,
            new SetDataResult(SampleStat),
            CheckResult.Instance,
            new GetDataResult([5], SampleStat),
            new GetDataResult(null, SampleStat),
            new GetChildrenResult(["x", "y"]),
            new ErrorResult(ErrorCode.NoNode),
        ])),
        Of(new MultiResponse([]), "MultiResponse/empty"),
    ];

    public static TheoryData<string> Names => [.. All.Select(s => s.Name)];

    public static Sample Get(string name) => All.Single(s => s.Name == name);

    private static Sample Of<T>(T message, string? name = null, int optionalTail = 0)
        where T : IJuteRecord<T> =>
        new(name ?? typeof(T).Name, message!, Jute.Encode(message), bytes => Jute.Decode<T>(bytes)!, optionalTail);
}
