using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Colony.Cli.Tests;

/// <summary>The HTTP side of the CLI against small in-test servers.</summary>
public sealed class NodeClientTests : IAsyncDisposable
{
    private readonly List<FakeNode> nodes = [];

    public async ValueTask DisposeAsync()
    {
        foreach (var node in nodes)
        {
            await node.DisposeAsync();
        }
    }

    [Fact]
    public async Task Membership_change_follows_a_followers_redirect_once()
    {
        var leader = Start((_, _) => (200, "{}"));
        var follower = Start((_, _) => (421, $"{{\"leader\":\"{leader.Url}\"}}"));
        using var client = new NodeClient();

        await client.AddMemberAsync(follower.Url, new MemberRequest { Id = 4, Peer = "127.0.0.1:1", Http = "http://127.0.0.1:2", Role = "learner" }, CancellationToken.None);
        await client.RemoveMemberAsync(follower.Url, 4, CancellationToken.None);

        Assert.Equal(["POST /cluster/members", "DELETE /cluster/members/4"], follower.Requests);
        Assert.Equal(["POST /cluster/members", "DELETE /cluster/members/4"], leader.Requests);
        using var body = JsonDocument.Parse(leader.Bodies[0]);
        Assert.Equal("learner", body.RootElement.GetProperty("role").GetString());
        Assert.Equal(4, body.RootElement.GetProperty("id").GetInt32());
        Assert.Equal("127.0.0.1:1", body.RootElement.GetProperty("peer").GetString());
        Assert.Equal("http://127.0.0.1:2", body.RootElement.GetProperty("http").GetString());
    }

    [Fact]
    public async Task A_second_redirect_is_an_error()
    {
        FakeNode? other = null;
        var first = Start((_, _) => (421, $"{{\"leader\":\"{other!.Url}\"}}"));
        other = Start((_, _) => (421, $"{{\"leader\":\"{first.Url}\"}}"));
        using var client = new NodeClient();

        var error = await Assert.ThrowsAsync<CliError>(() => client.RemoveMemberAsync(first.Url, 2, CancellationToken.None));

        Assert.Contains("leader moved", error.Message, StringComparison.Ordinal);
        Assert.Single(first.Requests);
        Assert.Single(other.Requests);
    }

    [Fact]
    public async Task A_redirect_without_a_leader_is_an_error()
    {
        var follower = Start((_, _) => (421, "{\"leader\":\"\"}"));
        using var client = new NodeClient();

        var error = await Assert.ThrowsAsync<CliError>(() => client.RemoveMemberAsync(follower.Url, 2, CancellationToken.None));

        Assert.Contains("no leader", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refusal_is_one_line_with_the_problem_detail()
    {
        var leader = Start((_, _) => (409, "{\"title\":\"Conflict\",\"detail\":\"node 2 is\\nnot a member\"}"));
        using var client = new NodeClient();

        var error = await Assert.ThrowsAsync<CliError>(() => client.RemoveMemberAsync(leader.Url, 2, CancellationToken.None));

        Assert.Equal($"could not remove node 2: {leader.Url.GetLeftPart(UriPartial.Authority)} answered 409 node 2 is not a member", error.Message);
    }

    [Fact]
    public async Task Status_is_parsed_and_a_silent_node_is_unreachable()
    {
        var node = Start((_, _) => (200, "{\"id\":2,\"role\":\"follower\",\"term\":3,\"leader\":1,\"commit\":10,\"applied\":9,\"healthy\":true,\"peers\":[]}"));
        var broken = Start((_, _) => (200, "not json"));
        using var client = new NodeClient();

        var status = await client.TryGetStatusAsync(node.Url, CancellationToken.None);
        var garbage = await client.TryGetStatusAsync(broken.Url, CancellationToken.None);
        var closed = await client.TryGetStatusAsync(new Uri($"http://127.0.0.1:{ClosedPort()}"), CancellationToken.None);

        Assert.Equal(new NodeStatus { Id = 2, Role = "follower", Term = 3, Leader = 1, Commit = 10, Applied = 9, Healthy = true, Peers = status!.Peers }, status);
        Assert.Null(garbage);
        Assert.Null(closed);
    }

    [Fact]
    public async Task Status_report_marks_unreachable_nodes_and_orders_by_id()
    {
        var two = Start((_, _) => (200, "{\"id\":2,\"role\":\"leader\",\"term\":3,\"leader\":2,\"commit\":10,\"applied\":10,\"healthy\":true}"));
        var closed = new Uri($"http://127.0.0.1:{ClosedPort()}");
        using var client = new NodeClient();

        var report = await Commands.StatusCommand.QueryAsync(client, [new NodeEndpoint(3, closed), new NodeEndpoint(2, two.Url), new NodeEndpoint(null, closed)], CancellationToken.None);

        Assert.Equal(
            [(2, "leader", 3L, 10L, true), (3, "unreachable", null, null, false), (null, "unreachable", null, null, false)],
            report.Nodes.Select(n => (n.Id, n.Role, n.Term, n.Commit, n.Healthy)));
    }

    [Fact]
    public async Task Status_report_adds_blocks_tasks_and_alerts_from_the_dashboards_overview()
    {
        var two = Start((request, _) => request switch
        {
            "GET /status" => (200, "{\"id\":2,\"role\":\"leader\",\"term\":3,\"leader\":2,\"commit\":10,\"applied\":10,\"healthy\":true}"),
            "GET /api/cluster" => (200, """
                {"clusterId":"c","leader":2,"nodes":[{"id":2,"health":"healthy","blocks":5,"runningTasks":1,"summary":null},{"id":3,"health":"dead","blocks":4,"runningTasks":0}],
                 "alerts":[{"severity":"critical","kind":"node-dead","message":"node 3 is dead: not heard from for 4 s"}]}
                """),
            _ => (404, "{}"),
        });
        var closed = new Uri($"http://127.0.0.1:{ClosedPort()}");
        using var client = new NodeClient();
        using var http = new HttpClient();

        var report = await Commands.StatusCommand.WithOverviewAsync(http,
            await Commands.StatusCommand.QueryAsync(client, [new NodeEndpoint(3, closed), new NodeEndpoint(2, two.Url)], CancellationToken.None), CancellationToken.None);

        // The node's own answer still decides that node 3 is unreachable; the overview adds its replica count.
        Assert.Equal([(2, "leader", (int?)5, (int?)1), (3, "unreachable", 4, 0)], report.Nodes.Select(n => (n.Id, n.Role, n.Blocks, n.RunningTasks)));
        var alert = Assert.Single(report.Alerts!);
        Assert.Equal(("critical", "node-dead"), (alert.Severity, alert.Kind));
        Assert.Equal(["GET /status", "GET /api/cluster"], two.Requests);
    }

    [Fact]
    public async Task Status_report_without_an_overview_is_left_as_it_was()
    {
        var old = Start((request, _) => request == "GET /status"
            ? (200, "{\"id\":1,\"role\":\"leader\",\"term\":1,\"leader\":1,\"commit\":1,\"applied\":1,\"healthy\":true}")
            : (404, "{}"));
        using var client = new NodeClient();
        using var http = new HttpClient();

        var plain = await Commands.StatusCommand.QueryAsync(client, [new NodeEndpoint(1, old.Url)], CancellationToken.None);
        var report = await Commands.StatusCommand.WithOverviewAsync(http, plain, CancellationToken.None);

        Assert.Same(plain, report);
        Assert.Null(report.Alerts);
    }

    private FakeNode Start(Func<string, string, (int Status, string Body)> answer)
    {
        var node = new FakeNode(answer);
        nodes.Add(node);
        return node;
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>An HTTP server on a loopback port that records requests and answers from a function of (method path, body).</summary>
    private sealed class FakeNode : IAsyncDisposable
    {
        private readonly HttpListener listener = new();
        private readonly Task serving;

        public FakeNode(Func<string, string, (int Status, string Body)> answer)
        {
            for (var attempt = 0; ; attempt++)
            {
                Url = new Uri($"http://127.0.0.1:{ClosedPort()}/");
                listener.Prefixes.Clear();
                listener.Prefixes.Add(Url.ToString());
                try
                {
                    listener.Start();
                    break;
                }
                catch (HttpListenerException) when (attempt < 10)
                {
                }
            }

            serving = ServeAsync(answer);
        }

        public Uri Url { get; private set; }

        public List<string> Requests { get; } = [];

        public List<string> Bodies { get; } = [];

        public async ValueTask DisposeAsync()
        {
            listener.Stop();
            try
            {
                await serving;
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
            }

            listener.Close();
        }

        private async Task ServeAsync(Func<string, string, (int Status, string Body)> answer)
        {
            while (listener.IsListening)
            {
                var context = await listener.GetContextAsync();
                using var reader = new StreamReader(context.Request.InputStream);
                var body = await reader.ReadToEndAsync();
                var request = $"{context.Request.HttpMethod} {context.Request.Url!.AbsolutePath}";
                lock (Requests)
                {
                    Requests.Add(request);
                    Bodies.Add(body);
                }

                var (status, text) = answer(request, body);
                context.Response.StatusCode = status;
                var bytes = Encoding.UTF8.GetBytes(text);
                await context.Response.OutputStream.WriteAsync(bytes);
                context.Response.Close();
            }
        }
    }
}
