using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Colony.Node.Hosting;

namespace Colony.Node.Tests.Hosting;

/// <summary>
/// A node that dies while it answers another node's poll or heartbeat must read as "no answer" to the
/// caller, not as an error that stops the caller's background service (and with it the whole node).
/// </summary>
public sealed class PeerHttpFailureTests
{
    [Fact]
    public async Task An_answer_cut_off_mid_body_is_no_answer()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        Task serving = Task.Run(async () =>
        {
            using TcpClient peer = await listener.AcceptTcpClientAsync();
            NetworkStream stream = peer.GetStream();
            await ReadRequestHeadAsync(stream);
            // Headers and the start of a chunked JSON body, then the peer is gone.
            byte[] partial = Encoding.ASCII.GetBytes(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n20\r\n{\"id\":1,\"name\":\"node-1\",\"h");
            await stream.WriteAsync(partial);
            await stream.FlushAsync();
        });
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

        Exception? failure = await Record.ExceptionAsync(() =>
            http.GetFromJsonAsync<JsonElement>(new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/api/node/summary")));
        await serving.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.NotNull(failure);
        Assert.False(failure is HttpRequestException, $"the cut-off answer surfaced as {failure.GetType()}, which the old filters did catch");
        Assert.True(PeerHttpFailure.IsNoAnswer(failure), $"{failure.GetType()}: {failure.Message}");
    }

    [Fact]
    public void A_bug_is_not_taken_for_a_missing_answer()
    {
        Assert.False(PeerHttpFailure.IsNoAnswer(new InvalidOperationException("a bug")));
        Assert.False(PeerHttpFailure.IsNoAnswer(new NullReferenceException()));
        Assert.True(PeerHttpFailure.IsNoAnswer(new HttpRequestException("refused")));
        Assert.True(PeerHttpFailure.IsNoAnswer(new TaskCanceledException("timed out")));
    }

    private static async Task ReadRequestHeadAsync(NetworkStream stream)
    {
        var head = new StringBuilder();
        var buffer = new byte[1024];
        while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            int read = await stream.ReadAsync(buffer);
            if (read == 0)
            {
                return;
            }
            head.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
    }
}
