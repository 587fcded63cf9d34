using Colony.Consensus;
using Colony.Core;

namespace Colony.Consensus.Tests;

public class MembershipTests
{
    [Fact]
    public void Encode_then_decode_round_trips()
    {
        var m = new Membership([1, 2, 3], [7]);
        Assert.Equal(m, Membership.Decode(m.Encode()));
    }

    [Fact]
    public void Decode_rejects_truncated_input()
    {
        var bytes = new Membership([1, 2, 3], []).Encode();
        Assert.Throws<FormatException>(() => Membership.Decode(bytes.AsSpan(0, bytes.Length - 1)));
    }

    [Fact]
    public void Promoting_a_learner_moves_it_to_the_voters()
    {
        var m = new Membership([1, 2, 3], [4]).Apply(new MembershipChange(MembershipChangeType.AddVoter, 4), out var error);
        Assert.Null(error);
        Assert.True(m.IsVoter(4));
        Assert.False(m.IsLearner(4));
        Assert.Equal(3, m.Quorum);
    }

    [Fact]
    public void Removing_the_last_voter_is_refused()
    {
        var m = Membership.OfVoters(new NodeId(1));
        var after = m.Apply(new MembershipChange(MembershipChangeType.Remove, 1), out var error);
        Assert.NotNull(error);
        Assert.Same(m, after);
    }
}
