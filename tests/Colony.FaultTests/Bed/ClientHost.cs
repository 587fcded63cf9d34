using System.Net;
using System.Net.Sockets;
using Colony.Client;

namespace Colony.FaultTests.Bed;

/// <summary>
/// A machine the workloads' clients run on: a network namespace of its own on the bridge, with its
/// own address, standing beside one node (<see cref="Beside"/>): a partition cuts it from exactly the
/// nodes it cuts that node from, as if the two shared a rack. So a partition puts some clients with
/// the minority, where their requests hang and their sessions expire, as a real one would.
/// </summary>
public sealed class ClientHost : IDisposable
{
    private readonly NamespaceSockets _sockets;

    internal ClientHost(int number, int host, string ns, string address, int beside)
    {
        Number = number;
        Host = host;
        Namespace = ns;
        Address = address;
        Beside = beside;
        _sockets = new NamespaceSockets(ns);
    }

    /// <summary>1, 2, … among the client hosts.</summary>
    public int Number { get; }

    /// <summary>The number partitions know it by: client hosts come after the nodes (<see cref="Nemeses.Cuts.WithClientHosts"/>).</summary>
    public int Host { get; }

    public string Namespace { get; }

    public string Address { get; }

    /// <summary>The node whose side of every partition this host is on.</summary>
    public int Beside { get; }

    /// <summary>Opens a TCP connection from this host: a client's connect callback.</summary>
    public ValueTask<Socket> ConnectAsync(DnsEndPoint server, CancellationToken cancellationToken) =>
        _sockets.ConnectAsync(server, cancellationToken);

    /// <summary>A new socket on this host, not yet connected.</summary>
    public Task<Socket> CreateSocketAsync() => _sockets.CreateAsync();

    /// <summary><paramref name="options"/> with every connection opened from this host.</summary>
    public ZooKeeperClientOptions Apply(ZooKeeperClientOptions options) => options with { ConnectCallback = ConnectAsync };

    public override string ToString() => $"client host {Number} ({Address}, beside node {Beside})";

    public void Dispose() => _sockets.Dispose();
}
