using Colony.Core;
using Colony.Storage.Namespace;
using static Colony.Storage.Namespace.NamespaceCommand;

namespace Colony.Storage.Tests.Namespace;

public sealed class NamespaceCommandCodecTests
{
    private static readonly NamespaceCommand[] Commands =
    [
        new Mkdirs("/a/b", "alice", "staff", 0x1ED, 1_700_000_000_000),
        new Create("/a/f", "client-1", "alice", "staff", 0x1A4, 3, 128 << 20, true, false, -1),
        new AddBlock("/a/f", "client-1", [new NodeId(1), new NodeId(ulong.MaxValue)], 5),
        new AddBlock("/a/f", "client-1", [], 5),
        new CommitBlock("/a/f", "client-1", new BlockVersion(new BlockId(9), new GenerationStamp(12)), 4096, uint.MaxValue),
        new UpdatePipeline("/a/f", "client-1", new BlockId(9)),
        new AbandonBlock("/a/f", "client-1", new BlockId(9)),
        new Complete("/a/f", "client-1", 6),
        new RenewLease("client-1", 7),
        new RecoverLease("/a/f", 8),
        new Rename("/a", "/b", true, 9),
        new Delete("/b", true, 10),
        new SetReplication("/b/f", 2),
        new SetPermission("/b", 0x3FF),
        new SetOwner("/b", "bob", null),
        new SetOwner("/b", null, "wheel"),
        new SetTimes("/b", -1, 12),
        new MoveToTrash("/b/é", "ünïcode", 13),
        new ExpireTrash(long.MaxValue),
        new SetDecommissioning(new NodeId(3), true),
        new SetDecommissioning(new NodeId(ulong.MaxValue), false),
    ];

    public static TheoryData<NamespaceCommand> All() => new(Commands);

    [Theory]
    [MemberData(nameof(All))]
    public void Round_trips(NamespaceCommand command)
    {
        var bytes = NamespaceCommandCodec.Encode(command);
        Assert.Equal(command, NamespaceCommandCodec.Decode(bytes));
        // Every strict prefix is malformed, never a different command.
        for (int i = 0; i < bytes.Length; i++)
        {
            Assert.Throws<FormatException>(() => NamespaceCommandCodec.Decode(bytes.AsSpan(0, i)));
        }
        Assert.Throws<FormatException>(() => NamespaceCommandCodec.Decode([.. bytes, 0]));
    }

    [Fact]
    public void Tags_are_frozen()
    {
        // Persisted in every log: these numbers must never change.
        var expected = new Dictionary<Type, byte>
        {
            [typeof(Mkdirs)] = 1, [typeof(Create)] = 2, [typeof(AddBlock)] = 3, [typeof(CommitBlock)] = 4,
            [typeof(UpdatePipeline)] = 5, [typeof(AbandonBlock)] = 6, [typeof(Complete)] = 7, [typeof(RenewLease)] = 8,
            [typeof(RecoverLease)] = 9, [typeof(Rename)] = 10, [typeof(Delete)] = 11, [typeof(SetReplication)] = 12,
            [typeof(SetPermission)] = 13, [typeof(SetOwner)] = 14, [typeof(SetTimes)] = 15, [typeof(MoveToTrash)] = 16,
            [typeof(ExpireTrash)] = 17, [typeof(SetDecommissioning)] = 18,
        };
        Assert.Equal(expected.Count, Enum.GetValues<NamespaceCommandCodec.Tag>().Length);
        foreach (var command in Commands)
        {
            var bytes = NamespaceCommandCodec.Encode(command);
            Assert.Equal(1, bytes[0]);
            Assert.Equal(expected[command.GetType()], bytes[1]);
        }
    }

    [Fact]
    public void Encoding_is_frozen()
    {
        Assert.Equal(Convert.FromHexString("0101022F6100000000"), NamespaceCommandCodec.Encode(new Mkdirs("/a", "", "", 0, 0)));
        Assert.Equal(Convert.FromHexString("0104022F610163090C0A000000FF"),
            NamespaceCommandCodec.Encode(new CommitBlock("/a", "c", new BlockVersion(new BlockId(9), new GenerationStamp(12)), 5, 255)));
        Assert.Equal(Convert.FromHexString("011101"), NamespaceCommandCodec.Encode(new ExpireTrash(-1)));
        Assert.Equal(Convert.FromHexString("01120301"), NamespaceCommandCodec.Encode(new SetDecommissioning(new NodeId(3), true)));
        Assert.Equal(Convert.FromHexString("0112AC0200"), NamespaceCommandCodec.Encode(new SetDecommissioning(new NodeId(300), false)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("02")]
    [InlineData("0200")]
    [InlineData("0100")]
    [InlineData("0113")]
    [InlineData("0112")] // SetDecommissioning without its fields
    [InlineData("01120302")] // a flag that is neither 0 nor 1
    [InlineData("010B022F6102")] // a flag that is neither 0 nor 1
    [InlineData("010102FFFE000000")] // invalid UTF-8
    public void Malformed_commands_throw(string hex) =>
        Assert.Throws<FormatException>(() => NamespaceCommandCodec.Decode(Convert.FromHexString(hex)));
}
