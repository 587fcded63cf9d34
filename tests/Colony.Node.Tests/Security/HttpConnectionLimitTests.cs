using System.Net;
using Colony.Node.Security;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging.Abstractions;

namespace Colony.Node.Tests.Security;

public sealed class HttpConnectionLimitTests
{
    [Fact]
    public async Task The_connection_over_an_address_limit_never_reaches_the_server_and_a_freed_slot_is_taken_again()
    {
        var served = new List<string>();
        var open = new Dictionary<string, TaskCompletionSource>();
        var limit = new HttpConnectionLimit(2, NullLogger<HttpConnectionLimit>.Instance, metrics: null);
        var pipeline = limit.Apply(connection =>
        {
            served.Add(connection.ConnectionId);
            var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            open[connection.ConnectionId] = closed;
            return closed.Task;
        });
        Task Connect(string id, string address) =>
            pipeline(new DefaultConnectionContext(id) { RemoteEndPoint = new IPEndPoint(IPAddress.Parse(address), 40000) });

        var first = Connect("a1", "10.0.0.1");
        var second = Connect("a2", "::ffff:10.0.0.1"); // the same client, as a dual-stack listener reports it
        var refused = new DefaultConnectionContext("a3") { RemoteEndPoint = new IPEndPoint(IPAddress.Parse("10.0.0.1"), 40000) };
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        refused.ConnectionClosed.Register(() => aborted.TrySetResult());
        await pipeline(refused); // returns at once, the connection aborted
        await aborted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var neighbour = Connect("b1", "10.0.0.2");
        Assert.Equal(["a1", "a2", "b1"], served);

        open["a1"].SetResult();
        await first;
        var replacement = Connect("a4", "10.0.0.1");
        Assert.Equal(["a1", "a2", "b1", "a4"], served);

        foreach (var id in new[] { "a2", "b1", "a4" })
        {
            open[id].SetResult();
        }
        await Task.WhenAll(second, neighbour, replacement);
    }

    [Fact]
    public async Task A_limit_of_zero_admits_everyone()
    {
        int served = 0;
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pipeline = new HttpConnectionLimit(0, NullLogger<HttpConnectionLimit>.Instance, metrics: null).Apply(_ =>
        {
            served++;
            return held.Task;
        });
        var connections = Enumerable.Range(0, 100)
            .Select(i => pipeline(new DefaultConnectionContext($"c{i}") { RemoteEndPoint = new IPEndPoint(IPAddress.Loopback, 40000 + i) }))
            .ToList();
        Assert.Equal(100, served);
        held.SetResult();
        await Task.WhenAll(connections);
    }
}
