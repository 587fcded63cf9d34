using Colony.Coordination.Protocol;

namespace Colony.Coordination.Tests.Protocol;

/// <summary>
/// Frames written out by hand from the jute definitions (big-endian ints, 1-byte bools, int length
/// then bytes for buffers and ustrings, int count then items for vectors). They pin the layout a
/// real ZooKeeper client expects; a change here breaks every client.
/// </summary>
public sealed class GoldenBytesTests
{
    [Fact]
    public void Connect_request_with_read_only()
    {
        var request = new ConnectRequest(0, 0x1122, 30_000, 0, new byte[16], ReadOnly: true);
        byte[] expected = Hex.Parse(
            "0000002d" +                          // frame length 45
            "00000000" +                          // protocolVersion
            "0000000000001122" +                  // lastZxidSeen
            "00007530" +                          // timeOut 30000
            "0000000000000000" +                  // sessionId
            "00000010 00000000000000000000000000000000" + // passwd: 16 zero bytes
            "01");                                // readOnly

        AssertFrame(expected, Wire.Frame(request));
        Equivalent.AssertEqual(request, Jute.Decode<ConnectRequest>(expected.AsSpan(4)));
    }

    [Fact]
    public void Connect_response()
    {
        var response = new ConnectResponse(0, 4_000, 0x0100000000000abc, [0xAA, 0xBB], ReadOnly: false);
        byte[] expected = Hex.Parse(
            "00000017" +            // frame length 23
            "00000000" +            // protocolVersion
            "00000fa0" +            // timeOut 4000
            "0100000000000abc" +    // sessionId
            "00000002 aabb" +       // passwd
            "00");                  // readOnly

        AssertFrame(expected, Wire.Frame(response));
    }

    [Fact]
    public void Create_request()
    {
        var header = new RequestHeader(1, OpCode.Create);
        var body = new CreateRequest("/a", "hi"u8.ToArray(), Acl.OpenUnsafe, CreateMode.PersistentSequential);
        byte[] expected = Hex.Parse(
            "00000033" +                        // frame length 51
            "00000001 00000001" +               // xid 1, type create
            "00000002 2f61" +                   // path "/a"
            "00000002 6869" +                   // data "hi"
            "00000001" +                        // one ACL
            "0000001f" +                        //   perms ALL
            "00000005 776f726c64" +             //   scheme "world"
            "00000006 616e796f6e65" +           //   id "anyone"
            "00000002");                        // flags: persistent sequential

        AssertFrame(expected, Wire.Frame(header, body));
        ClientRequest decoded = RequestDecoder.Decode(expected.AsSpan(4), out RequestHeader decodedHeader);
        Assert.Equal(header, decodedHeader);
        Equivalent.AssertEqual(body, decoded);
    }

    [Fact]
    public void Reply_header_with_an_error()
    {
        byte[] expected = Hex.Parse(
            "00000010" +            // frame length 16
            "00000005" +            // xid
            "0000000100000002" +    // zxid
            "ffffff9b");            // err -101 (no node)

        AssertFrame(expected, Wire.Frame(new ReplyHeader(5, 0x100000002, ErrorCode.NoNode)));
    }

    [Fact]
    public void Ping_request()
    {
        AssertFrame(Hex.Parse("00000008 fffffffe 0000000b"), Wire.Frame(new RequestHeader(SpecialXid.Ping, OpCode.Ping)));
    }

    [Fact]
    public void Watch_notification()
    {
        var header = new ReplyHeader(SpecialXid.Notification, -1, ErrorCode.Ok);
        var watch = new WatcherEvent(EventType.NodeDataChanged, KeeperState.SyncConnected, "/a");
        byte[] expected = Hex.Parse(
            "0000001e" +            // frame length 30
            "ffffffff" +            // xid -1
            "ffffffffffffffff" +    // zxid -1
            "00000000" +            // err ok
            "00000003" +            // type NodeDataChanged
            "00000003" +            // state SyncConnected
            "00000002 2f61");       // path

        AssertFrame(expected, Wire.Frame(header, watch));
    }

    [Fact]
    public void Multi_request_with_two_ops()
    {
        var multi = new MultiRequest(
        [
            new MultiOp(OpCode.Create, new CreateRequest("/a", null, Acl.OpenUnsafe, CreateMode.Persistent)),
            new MultiOp(OpCode.Delete, new DeleteRequest("/b", -1)),
        ]);
        byte[] expected = Hex.Parse(
            "00000001 00 ffffffff" +                    // header: create, not done, err -1
            "00000002 2f61" +                           //   path "/a"
            "ffffffff" +                                //   data null
            "00000001 0000001f 00000005 776f726c64 00000006 616e796f6e65" + // world:anyone ALL
            "00000000" +                                //   flags persistent
            "00000002 00 ffffffff" +                    // header: delete
            "00000002 2f62" +                           //   path "/b"
            "ffffffff" +                                //   version -1
            "ffffffff 01 ffffffff");                    // terminator: type -1, done, err -1

        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(Wire.Encode(multi)));
        Equivalent.AssertEqual(multi, Jute.Decode<MultiRequest>(expected));
    }

    [Fact]
    public void Multi_response_with_a_result_and_an_error()
    {
        var response = new MultiResponse([new CreateResult("/a"), new ErrorResult(ErrorCode.NoNode)]);
        byte[] expected = Hex.Parse(
            "00000001 00 00000000" +    // header: create, err 0
            "00000002 2f61" +           //   path
            "ffffffff 00 ffffff9b" +    // header: error (-1), err -101
            "ffffff9b" +                //   ErrorResponse err -101
            "ffffffff 01 ffffffff");    // terminator

        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(Wire.Encode(response)));
        Equivalent.AssertEqual(response, Jute.Decode<MultiResponse>(expected));
    }

    [Fact]
    public void Stat_field_order()
    {
        var stat = new Stat(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
        byte[] expected = Hex.Parse(
            "0000000000000001 0000000000000002 0000000000000003 0000000000000004" + // czxid mzxid ctime mtime
            "00000005 00000006 00000007" +                                       // version cversion aversion
            "0000000000000008" +                                                 // ephemeralOwner
            "00000009 0000000a" +                                                // dataLength numChildren
            "000000000000000b");                                                 // pzxid

        Assert.Equal(expected, Wire.Encode(new ExistsResponse(stat)));
        Assert.Equal(JuteReader.StatBytes, expected.Length);
    }

    [Fact]
    public void Auth_packet()
    {
        byte[] expected = Hex.Parse(
            "00000000" +                        // type
            "00000006 646967657374" +           // scheme "digest"
            "00000003 613a62");                 // auth "a:b"

        Assert.Equal(expected, Wire.Encode(new AuthPacket(0, "digest", "a:b"u8.ToArray())));
    }

    private static void AssertFrame(byte[] expected, byte[] actual) =>
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(actual));
}
