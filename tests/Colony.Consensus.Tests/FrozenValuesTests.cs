using Colony.Consensus;

namespace Colony.Consensus.Tests;

/// <summary>
/// These numbers are on disk and on the wire between nodes of different versions. Changing one
/// breaks compatibility: add new values, never renumber.
/// </summary>
public class FrozenValuesTests
{
    [Fact]
    public void Entry_types_are_frozen() => Assert.Equal(
        [(1, "Normal"), (2, "Membership"), (3, "Noop")],
        Enum.GetValues<EntryType>().Select(v => ((int)v, v.ToString())));

    [Fact]
    public void Membership_change_types_are_frozen() => Assert.Equal(
        [(1, "AddVoter"), (2, "AddLearner"), (3, "Remove")],
        Enum.GetValues<MembershipChangeType>().Select(v => ((int)v, v.ToString())));

    [Fact]
    public void Message_types_are_frozen() => Assert.Equal(
        [
            (1, "PreVote"), (2, "PreVoteResponse"), (3, "Vote"), (4, "VoteResponse"), (5, "Append"),
            (6, "AppendResponse"), (7, "Heartbeat"), (8, "HeartbeatResponse"), (9, "SnapshotChunk"),
            (10, "SnapshotChunkResponse"), (11, "TimeoutNow"), (12, "ReadIndex"), (13, "ReadIndexResponse"),
            (14, "Propose"), (15, "Commit"), (16, "Durable"),
        ],
        Enum.GetValues<MessageType>().Select(v => ((int)v, v.ToString())));

    [Fact]
    public void Membership_encoding_is_frozen() => Assert.Equal(
        "00000002" + "0000000000000001" + "0000000000000002" + "00000001" + "0000000000000007",
        Convert.ToHexString(new Membership([1, 2], [7]).Encode()).ToLowerInvariant());
}
