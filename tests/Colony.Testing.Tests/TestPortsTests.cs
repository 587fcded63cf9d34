using System.Net;
using System.Net.Sockets;

namespace Colony.Testing.Tests;

public sealed class TestPortsTests
{
    // A range of free ports no other test process uses at the moment, released for the test to hand out.
    private static int FreeRange(int size)
    {
        var start = TestPorts.Layout(p => Enumerable.Range(p, size), alignment: size);
        TestPorts.Release(Enumerable.Range(start, size));
        return start;
    }

    [Fact]
    public void Ports_handed_out_are_distinct_until_released()
    {
        var start = FreeRange(40);
        var end = start + 39;
        var first = TestPorts.Many(20, start, end);
        var second = TestPorts.Many(20, start, end);
        try
        {
            Assert.Equal(40, first.Concat(second).Distinct().Count());
            Assert.Throws<InvalidOperationException>(() => TestPorts.One(start, end));

            TestPorts.Release(first);
            var again = TestPorts.Many(20, start, end);
            Assert.Equal(first.Order(), again.Order());
            first = again;
        }
        finally
        {
            TestPorts.Release(first.Concat(second));
        }
    }

    [Fact]
    public void A_port_locked_by_another_holder_is_not_handed_out()
    {
        // Another test process holds its reservation the same way: an exclusive lock on the port's file.
        var port = FreeRange(1);
        var lockFile = Path.Combine(Path.GetTempPath(), "colony-test-ports", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using (new FileStream(lockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            Assert.Throws<InvalidOperationException>(() => TestPorts.One(port, port));
        }

        Assert.Equal(port, TestPorts.One(port, port));
        TestPorts.Release([port]);
    }

    [Fact]
    public void A_port_something_listens_on_is_not_handed_out()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var busy = ((IPEndPoint)listener.LocalEndpoint).Port;
        Assert.Throws<InvalidOperationException>(() => TestPorts.One(busy, busy));
    }

    [Fact]
    public void A_layout_is_aligned_and_reserves_every_port_it_derives()
    {
        var start = FreeRange(200);
        var basePort = TestPorts.Layout(p => [p, p + 2, p + 100], alignment: 10, first: start, last: start + 199);
        try
        {
            Assert.Equal(0, basePort % 10);
            Assert.InRange(basePort, start, start + 99);
            Assert.Throws<InvalidOperationException>(() => TestPorts.One(basePort + 100, basePort + 100));
            Assert.Equal(basePort + 1, TestPorts.One(basePort + 1, basePort + 1));
            TestPorts.Release([basePort + 1]);
        }
        finally
        {
            TestPorts.Release([basePort, basePort + 2, basePort + 100]);
        }
    }
}
