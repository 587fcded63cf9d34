using Colony.Testing;

namespace Colony.Compat.Tests;

/// <summary>
/// The compatibility suite against one standalone Apache ZooKeeper server: the transcripts do not
/// depend on how many servers there are, so the same goldens hold.
/// </summary>
public sealed class ReferenceZooKeeperStandaloneTests(ReferenceStandaloneTarget target)
    : ZooKeeperCompatibilityTests(target), IClassFixture<ReferenceStandaloneTarget>
{
    [Fact]
    public async Task Standalone_server_says_so_and_has_one_address()
    {
        var zk = target.ZooKeeper;
        Assert.True(zk.IsStandalone);
        Assert.Equal([1], zk.ServerIds);
        Assert.Equal(ReferenceZooKeeperMode.Standalone, await zk.ModeAsync(1));
        Assert.Equal(zk.ClientAddress(1), zk.ConnectString);
        Assert.Equal(1, zk.ServerIdOf(zk.ConnectString));
        Assert.Null(zk.ServerIdOf("127.0.0.1:1"));
    }
}
