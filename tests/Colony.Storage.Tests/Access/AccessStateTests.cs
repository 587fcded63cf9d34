using Colony.Storage.Access;
using static Colony.Storage.Access.AccessCommand;

namespace Colony.Storage.Tests.Access;

public sealed class AccessStateTests
{
    private static byte[] Hash(byte fill) => Enumerable.Repeat(fill, AccessLimits.HashLength).ToArray();

    private static AddToken Add(string id, string user = "alice", bool admin = false, params string[] groups) =>
        new(id, Hash((byte)id.Length), user, groups, admin, 1_700_000_000_000);

    [Fact]
    public void Commands_round_trip_and_every_prefix_is_malformed()
    {
        AccessCommand[] commands = [Add("0123456789ab", "alice", false, "staff", "ops"), Add("x", "ünï", true), new RevokeToken("0123456789ab")];
        foreach (var command in commands)
        {
            var bytes = AccessCommandCodec.Encode(command);
            Assert.Equal(command, AccessCommandCodec.Decode(bytes));
            for (int i = 0; i < bytes.Length; i++)
            {
                Assert.Throws<FormatException>(() => AccessCommandCodec.Decode(bytes.AsSpan(0, i)));
            }
            Assert.Throws<FormatException>(() => AccessCommandCodec.Decode([.. bytes, 0]));
        }
    }

    [Fact]
    public void Encoding_is_frozen()
    {
        // Persisted in every log: these bytes must never change.
        Assert.Equal(1, (byte)AccessCommandCodec.Tag.AddToken);
        Assert.Equal(2, (byte)AccessCommandCodec.Tag.RevokeToken);
        Assert.Equal(Convert.FromHexString("0101" + "026162" + string.Concat(Enumerable.Repeat("11", 32)) + "0175" + "010167" + "01" + "06"),
            AccessCommandCodec.Encode(new AddToken("ab", Hash(0x11), "u", ["g"], true, 3)));
        Assert.Equal(Convert.FromHexString("0102026162"), AccessCommandCodec.Encode(new RevokeToken("ab")));
    }

    [Theory]
    [InlineData("")]
    [InlineData("02")]
    [InlineData("0103")]
    [InlineData("010202FFFE")] // invalid UTF-8
    public void Malformed_commands_throw(string hex) =>
        Assert.Throws<FormatException>(() => AccessCommandCodec.Decode(Convert.FromHexString(hex)));

    [Fact]
    public void Tokens_are_added_refused_when_duplicate_or_badly_named_and_revoked()
    {
        var state = new AccessState();
        Assert.True(state.Apply(Add("a1", "alice", false, "staff")).IsOk);
        Assert.False(state.Apply(Add("a1", "bob")).IsOk);
        Assert.False(state.Apply(Add("b1", "bad name")).IsOk);
        Assert.False(state.Apply(Add("b2", "bob", false, "-x")).IsOk);
        Assert.True(state.Apply(Add("a2", "alice", false, "ops", "staff")).IsOk);
        Assert.Equal(["ops", "staff"], state.GroupsOf("alice"));
        Assert.Equal("alice", state.Find("a1")!.User);

        Assert.True(state.Apply(new RevokeToken("a1")).IsOk);
        Assert.Null(state.Find("a1"));
        Assert.False(state.Apply(new RevokeToken("a1")).IsOk);
        Assert.Equal(1, state.Count);
    }

    [Fact]
    public void Snapshot_round_trips_and_equal_states_write_equal_bytes()
    {
        var state = new AccessState();
        state.Apply(Add("b", "bob", true));
        state.Apply(Add("a", "alice", false, "staff"));
        var bytes = Write(state);

        var restored = new AccessState();
        restored.Restore(new MemoryStream(bytes));
        Assert.Equal(bytes, Write(restored));
        Assert.Equal(["a", "b"], restored.Tokens.Select(t => t.Id));
        Assert.True(restored.Find("b")!.Admin);
        Assert.Equal(Hash(1), restored.Find("a")!.Hash);

        // Version, count, one token: pinned like any persisted layout.
        var one = new AccessState();
        one.Apply(new AddToken("ab", Hash(0x11), "u", ["g"], true, 3));
        Assert.Equal(Convert.FromHexString("0101" + "026162" + string.Concat(Enumerable.Repeat("11", 32)) + "0175" + "010167" + "01" + "06"), Write(one));
    }

    [Fact]
    public void A_malformed_snapshot_leaves_the_state_as_it_was()
    {
        var state = new AccessState();
        state.Apply(Add("a"));
        var bytes = Write(state);
        Assert.Throws<FormatException>(() => state.Restore(new MemoryStream(bytes[..^1])));
        Assert.Throws<FormatException>(() => state.Restore(new MemoryStream([2, 0])));
        Assert.NotNull(state.Find("a"));
    }

    [Theory]
    [InlineData("alice", true)]
    [InlineData("a.b_c-9", true)]
    [InlineData("", false)]
    [InlineData("-rf", false)]
    [InlineData(".hidden", false)]
    [InlineData("a/b", false)]
    [InlineData("a b", false)]
    public void User_names_are_narrow(string name, bool valid) => Assert.Equal(valid, UserNames.IsValid(name));

    private static byte[] Write(AccessState state)
    {
        var stream = new MemoryStream();
        state.WriteSnapshot(stream);
        return stream.ToArray();
    }
}
