using Colony.Client.Recipes;

namespace Colony.Client.Tests.Recipes;

/// <summary>The queue order and predecessor rules of the kazoo lock layout, without a server.</summary>
public class LockNodesTests
{
    private const string A = "0123456789abcdef0123456789abcdef";
    private const string B = "fedcba9876543210fedcba9876543210";

    [Fact]
    public void Contenders_are_ordered_by_sequence_not_by_their_uuid_prefix()
    {
        string[] children = [$"{A}__lock__0000000003", $"{B}__lock__0000000001", "unrelated", $"{A}__rlock__0000000002"];

        Assert.Equal([$"{B}__lock__0000000001", $"{A}__lock__0000000003"], LockNodes.Ordered(children, [LockNodes.Exclusive]));
        Assert.Equal(
            [$"{B}__lock__0000000001", $"{A}__rlock__0000000002", $"{A}__lock__0000000003"],
            LockNodes.Ordered(children, [LockNodes.Exclusive, LockNodes.Shared]));
    }

    [Fact]
    public void A_writer_waits_for_the_nearest_earlier_node_of_either_kind()
    {
        string[] children = [$"{A}__lock__0000000001", $"{B}__rlock__0000000002", $"{A}__lock__0000000004"];

        Assert.Equal($"{B}__rlock__0000000002", LockNodes.Predecessor(children, "0000000004", [LockNodes.Exclusive, LockNodes.Shared]));
        Assert.Null(LockNodes.Predecessor(children, "0000000001", [LockNodes.Exclusive, LockNodes.Shared]));
    }

    [Fact]
    public void A_reader_waits_only_for_earlier_writers()
    {
        string[] children = [$"{A}__rlock__0000000001", $"{B}__lock__0000000002", $"{A}__rlock__0000000003", $"{A}__lock__0000000005"];

        Assert.Equal($"{B}__lock__0000000002", LockNodes.Predecessor(children, "0000000004", [LockNodes.Exclusive]));
        Assert.Null(LockNodes.Predecessor(children, "0000000001", [LockNodes.Exclusive]));
    }

    [Fact]
    public void Only_a_kind_followed_by_ten_digits_at_the_end_is_a_contender()
    {
        Assert.Equal("0000000007", LockNodes.Sequence($"{A}__lock__0000000007", [LockNodes.Exclusive]));
        Assert.Equal("-2147483648", LockNodes.Sequence($"{A}__lock__-2147483648", [LockNodes.Exclusive]));
        Assert.Null(LockNodes.Sequence($"{A}__lock__000000007", [LockNodes.Exclusive]));
        Assert.Null(LockNodes.Sequence($"{A}__rlock__0000000007", [LockNodes.Exclusive]));
        Assert.Null(LockNodes.Sequence($"{A}__lock__0000000007x", [LockNodes.Exclusive]));
    }
}
