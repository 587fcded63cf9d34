using System.Net;
using Colony.Node.ZooKeeper;

namespace Colony.Node.Tests.ZooKeeper;

public sealed class HostAddressesTests
{
    [Fact]
    public void An_IPv4_address_is_preferred_as_Java_prefers_it()
    {
        Assert.Equal(IPAddress.Parse("10.0.0.7"), HostAddresses.Pick([IPAddress.Parse("fe80::1"), IPAddress.Parse("10.0.0.7"), IPAddress.Parse("10.0.0.8")]));
        Assert.Equal(IPAddress.IPv6Loopback, HostAddresses.Pick([IPAddress.IPv6Loopback]));
        Assert.Null(HostAddresses.Pick([]));
    }

    [Fact]
    public async Task Localhost_resolves_to_the_loopback_address_and_a_reserved_invalid_name_to_nothing()
    {
        var addresses = await HostAddresses.ResolveAsync(["LocalHost", "nowhere.invalid"], TimeSpan.FromSeconds(10));
        Assert.Equal("127.0.0.1", addresses["localhost"]);
        Assert.False(addresses.ContainsKey("nowhere.invalid"));
    }
}
