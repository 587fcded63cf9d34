using Colony.Client.Security;

namespace Colony.Node.Tests.Peers;

/// <summary>What the cluster's trust accepts: its CA's certificates while they are valid, and nothing else.</summary>
public sealed class ClusterTrustTests : IDisposable
{
    private readonly TestAuthority _cluster = new("cluster CA");
    private readonly TestAuthority _other = new("another CA");

    public void Dispose()
    {
        _cluster.Dispose();
        _other.Dispose();
    }

    [Fact]
    public void Only_a_valid_certificate_of_the_cluster_CA_is_accepted()
    {
        using var member = _cluster.Issue("member");
        using var stranger = _other.Issue("stranger");
        var refusals = new List<string>();
        var time = new Clock { Now = DateTimeOffset.UtcNow };
        var trust = new ClusterTrust(() => null, () => [_cluster.Certificate], time);
        trust.Refused += (subject, _) => refusals.Add(subject);

        Assert.True(trust.Verify(member));
        Assert.False(trust.Verify(stranger));
        Assert.False(trust.Verify(null));
        time.Now = time.Now.AddDays(2); // past both certificates' end
        Assert.False(trust.Verify(member));
        Assert.Equal(["CN=stranger", "CN=member"], refusals);
    }

    [Fact]
    public void Without_a_CA_nothing_is_accepted()
    {
        using var member = _cluster.Issue("member");
        Assert.False(new ClusterTrust(() => null, () => []).Verify(member));
    }

    /// <summary>A clock the test sets.</summary>
    private sealed class Clock : TimeProvider
    {
        public DateTimeOffset Now { get; set; }

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
