using Colony.Coordination.Commands;
using Colony.Core;

namespace Colony.Coordination.Tests.Commands;

public sealed class CoordinationCommandCodecTests
{
    private static readonly Id[] SomeAuth = [new("digest", "bob:abc="), new("ip", "10.0.0.1")];

    private static readonly Op[] Operations =
    [
        new Op.Create("/a/b", [1, 2, 3], [new Acl(Perms.All, Id.Anyone), new Acl(Perms.Read, new Id("ip", "10.0.0.0/8"))], CreateMode.EphemeralSequential),
        new Op.Create("/ttl", null, Acl.OpenUnsafe, CreateMode.PersistentWithTtl, 5000),
        new Op.Delete("/a", 3),
        new Op.SetData("/a", [], -1),
        new Op.SetData("/a", null, 7),
        new Op.SetAcl("/a", Acl.CreatorAll, 2),
        new Op.Check("/a", int.MaxValue),
        new Op.Multi([new Op.Create("/m", [9], Acl.OpenUnsafe, CreateMode.Persistent), new Op.Check("/m", 0), new Op.SetData("/m", [8], 0), new Op.Delete("/m", 1)]),
        new Op.Multi([]),
        new Op.CreateSession(0x0123_4567_89AB_CDEF, 30_000, new byte[16]),
        new Op.CloseSession(-5),
        new Op.MoveSession(0x0123_4567_89AB_CDEF, [1, 2, 3, 4]),
        new Op.TouchSessions([1, 2, long.MaxValue]),
        new Op.DeleteContainer("/c"),
        new Op.DeleteExpiredTtl("/t"),
        new Op.Sync("/"),
        new Op.SetConfig("server.1=127.0.0.1:2888:3888:participant;0.0.0.0:2181\n"u8.ToArray()),
    ];

    public static TheoryData<Op> AllOperations() => new(Operations);

    [Theory]
    [MemberData(nameof(AllOperations))]
    public void Every_operation_round_trips(Op op)
    {
        var command = new CoordinationCommand(3, 0x0100_0000_0000_0042, -17, 1_700_000_000_123, SomeAuth, op);
        var bytes = command.Encode();
        var decoded = CoordinationCommand.Decode(bytes);
        Assert.Equal(command.OriginNode, decoded.OriginNode);
        Assert.Equal(command.SessionId, decoded.SessionId);
        Assert.Equal(command.Cxid, decoded.Cxid);
        Assert.Equal(command.TimeMs, decoded.TimeMs);
        Assert.Equal(SomeAuth, decoded.Auth);
        Assert.Equal(op.Kind, decoded.Operation.Kind);
        Assert.Equal(bytes, decoded.Encode());
    }

    [Fact]
    public void Fields_survive_decoding()
    {
        var op = new Op.Create("/x", null, [new Acl(Perms.Read | Perms.Admin, new Id("world", "anyone"))], CreateMode.PersistentSequentialWithTtl, 1234);
        var decoded = (Op.Create)CoordinationCommand.Decode(new CoordinationCommand(1, 2, 3, 4, [], op).Encode()).Operation;
        Assert.Equal("/x", decoded.Path);
        Assert.Null(decoded.Data);
        Assert.Equal(op.Acl, decoded.Acl);
        Assert.Equal(CreateMode.PersistentSequentialWithTtl, decoded.Mode);
        Assert.Equal(1234, decoded.TtlMs);

        var setData = (Op.SetData)CoordinationCommand.Decode(new CoordinationCommand(1, 2, 3, 4, [], new Op.SetData("/y", [], 5)).Encode()).Operation;
        Assert.NotNull(setData.Data);
        Assert.Empty(setData.Data);
        Assert.Equal(5, setData.Version);
    }

    /// <summary>Log entries live forever: these bytes must decode the same in every later version.</summary>
    [Fact]
    public void Frozen_create_command_bytes()
    {
        var command = new CoordinationCommand(
            OriginNode: 2,
            SessionId: 0x0100_0000_0000_0005,
            Cxid: 9,
            TimeMs: 1000,
            Auth: [new Id("digest", "u:p")],
            Operation: new Op.Create("/a", [0xAB], Acl.OpenUnsafe, CreateMode.Ephemeral));
        const string expected =
            "01" + "02" + "0100000000000005" + "12" + "d00f"
            + "01" + "06" + "646967657374" + "03" + "753a70"
            + "01" + "02" + "2f61" + "02" + "ab" + "01" + "3e" + "05" + "776f726c64" + "06" + "616e796f6e65" + "02" + "01";
        Assert.Equal(expected, Convert.ToHexStringLower(command.Encode()));
        var decoded = CoordinationCommand.Decode(Convert.FromHexString(expected));
        Assert.Equal(command.Encode(), decoded.Encode());
    }

    [Fact]
    public void Frozen_session_and_cleanup_bytes()
    {
        Assert.Equal(
            "01" + "00" + "0000000000000000" + "00" + "02" + "00" + "07" + "0100000000000001" + "80eb02" + "02" + "0102",
            Hex(CoordinationCommand.FromCluster(0, 1, new Op.CreateSession(0x0100_0000_0000_0001, 23_232, [1, 2]))));
        Assert.Equal("01" + "01" + "0000000000000000" + "00" + "00" + "00" + "0b" + "02" + "2f74",
            Hex(CoordinationCommand.FromCluster(1, 0, new Op.DeleteExpiredTtl("/t"))));
        Assert.Equal("01" + "01" + "0000000000000000" + "00" + "00" + "00" + "09" + "01" + "0000000000000007",
            Hex(CoordinationCommand.FromCluster(1, 0, new Op.TouchSessions([7]))));
    }

    [Fact]
    public void Frozen_move_session_bytes()
    {
        var command = new CoordinationCommand(3, 0x0100_0000_0000_0001, 4, 0, [], new Op.MoveSession(0x0100_0000_0000_0001, [0xAA, 0xBB]));
        const string expected = "01" + "03" + "0100000000000001" + "08" + "00" + "00" + "0d" + "0100000000000001" + "02" + "aabb";
        Assert.Equal(expected, Hex(command));
        var decoded = (Op.MoveSession)CoordinationCommand.Decode(Convert.FromHexString(expected)).Operation;
        Assert.Equal(0x0100_0000_0000_0001, decoded.SessionId);
        Assert.Equal(new byte[] { 0xAA, 0xBB }, decoded.Password);
    }

    [Fact]
    public void A_move_session_cannot_sit_in_a_multi()
    {
        var nested = new Op.Multi([new Op.MoveSession(1, [])]);
        Assert.Throws<ArgumentException>(() => CoordinationCommand.FromCluster(1, 0, nested).Encode());
        Assert.Throws<ArgumentException>(() => CoordinationCommand.FromCluster(1, 0, new Op.MoveSession(1, new byte[CommandCodecLimits.MaxPasswordBytes + 1])).Encode());
    }

    [Theory]
    [InlineData(OperationKind.Create, 1)]
    [InlineData(OperationKind.Delete, 2)]
    [InlineData(OperationKind.SetData, 3)]
    [InlineData(OperationKind.SetAcl, 4)]
    [InlineData(OperationKind.Check, 5)]
    [InlineData(OperationKind.Multi, 6)]
    [InlineData(OperationKind.CreateSession, 7)]
    [InlineData(OperationKind.CloseSession, 8)]
    [InlineData(OperationKind.TouchSessions, 9)]
    [InlineData(OperationKind.DeleteContainer, 10)]
    [InlineData(OperationKind.DeleteExpiredTtl, 11)]
    [InlineData(OperationKind.Sync, 12)]
    [InlineData(OperationKind.MoveSession, 13)]
    [InlineData(OperationKind.SetConfig, 14)]
    public void Operation_kinds_are_frozen(OperationKind kind, byte value) => Assert.Equal(value, (byte)kind);

    [Fact]
    public void Rejects_unknown_version_kind_and_trailing_bytes()
    {
        var bytes = CoordinationCommand.FromCluster(1, 0, new Op.Sync("/")).Encode();
        var wrongVersion = (byte[])bytes.Clone();
        wrongVersion[0] = 2;
        Assert.Throws<FormatException>(() => CoordinationCommand.Decode(wrongVersion));
        var unknownKind = (byte[])bytes.Clone();
        unknownKind[^3] = 99;
        Assert.Throws<FormatException>(() => CoordinationCommand.Decode(unknownKind));
        Assert.Throws<FormatException>(() => CoordinationCommand.Decode([.. bytes, 0]));
        Assert.Throws<FormatException>(() => CoordinationCommand.Decode(bytes.AsSpan(0, bytes.Length - 1)));
        Assert.Throws<FormatException>(() => CoordinationCommand.Decode([]));
    }

    [Fact]
    public void A_multi_holds_only_multi_operations()
    {
        var nested = new Op.Multi([new Op.Sync("/")]);
        Assert.Throws<ArgumentException>(() => CoordinationCommand.FromCluster(1, 0, nested).Encode());
        // Hand-made: multi (06) of one sync (0c "/").
        var bytes = Convert.FromHexString("01" + "01" + "0000000000000000" + "00" + "00" + "00" + "06" + "01" + "0c" + "012f");
        Assert.Throws<FormatException>(() => CoordinationCommand.Decode(bytes));
    }

    [Fact]
    public void Rejects_invalid_utf8_and_oversized_counts()
    {
        // Sync with a path of one byte 0xFF.
        Assert.Throws<FormatException>(() => CoordinationCommand.Decode(
            Convert.FromHexString("01" + "01" + "0000000000000000" + "00" + "00" + "00" + "0c" + "01" + "ff")));
        // Touch claiming a million sessions with no bytes behind it.
        Assert.Throws<FormatException>(() => CoordinationCommand.Decode(
            Convert.FromHexString("01" + "01" + "0000000000000000" + "00" + "00" + "00" + "09" + "c0843d")));
        // Cxid beyond 32 bits.
        Assert.Throws<FormatException>(() => CoordinationCommand.Decode(
            Convert.FromHexString("01" + "01" + "0000000000000000" + "8080808010" + "00" + "00" + "0c" + "012f")));
    }

    [Fact]
    public void Encoder_rejects_what_breaks_a_limit()
    {
        var longPath = "/" + new string('a', CommandCodecLimits.MaxPathBytes);
        Assert.Throws<ArgumentException>(() => CoordinationCommand.FromCluster(1, 0, new Op.Sync(longPath)).Encode());
        Assert.Throws<ArgumentException>(() => CoordinationCommand.FromCluster(1, 0, new Op.Sync("/\ud800")).Encode());
    }

    /// <summary>Garbage and corrupted commands never fail with anything but a FormatException.</summary>
    [Fact]
    public void Garbage_never_crashes_the_decoder()
    {
        var random = new SeededRandom(20240601);
        var valid = Operations.Select(op => new CoordinationCommand(3, 42, 1, 99, SomeAuth, op).Encode()).ToArray();
        int decoded = 0;
        for (int i = 0; i < 20_000; i++)
        {
            byte[] input;
            if (i % 2 == 0)
            {
                input = new byte[random.Next(0, 64)];
                for (int j = 0; j < input.Length; j++)
                {
                    input[j] = (byte)random.Next(256);
                }
                if (input.Length > 0 && random.Next(2) == 0)
                {
                    input[0] = CoordinationCommandCodec.Version;
                }
            }
            else
            {
                input = (byte[])valid[random.Next(valid.Length)].Clone();
                int flips = random.Next(1, 4);
                for (int f = 0; f < flips; f++)
                {
                    input[random.Next(input.Length)] = (byte)random.Next(256);
                }
                if (random.Next(3) == 0)
                {
                    input = input.AsSpan(0, random.Next(input.Length)).ToArray();
                }
            }
            try
            {
                var command = CoordinationCommand.Decode(input);
                decoded++;
                // Whatever decodes must encode back to the same bytes: every value has one encoding.
                Assert.Equal(input, command.Encode());
            }
            catch (FormatException)
            {
            }
        }
        Assert.True(decoded > 0, "some corruptions should still decode");
    }

    private static string Hex(CoordinationCommand command) => Convert.ToHexStringLower(command.Encode());
}
