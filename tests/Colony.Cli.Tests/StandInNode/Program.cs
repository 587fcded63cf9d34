// A stand-in for `colony node --config FILE`, which the CLI tests start through COLONY_NODE_COMMAND.
// It reads the node's configuration, holds its ZooKeeper and peer ports, and serves the node's
// HTTP contract on its HTTP port: /health, /status, the dashboard's overview (/api/cluster, with one
// alert that names the node answering) and the membership endpoints. The member with the
// lowest id leads; the others answer membership changes with 421 and the leader's address. The
// leader counts a peer as caught up (match = commit) only while it can connect to the peer's port,
// which a node opens after its HTTP port: as with a real leader, a node that is not running yet has not
// caught up.
// With --unhealthy it reports itself unhealthy. SIGTERM and SIGINT stop it cleanly.
//
// Everything it prints goes to the node's log: a first line as soon as it runs, and why it failed if
// it does, so that a node that exits early says so there.
//
// HTTP is served by hand over a TcpListener, one request per connection. The runtime's managed
// HttpListener is not used: when a connection (the CLI polling /status) arrives between its
// listen and the end of its setup, Start throws and leaves its socket listening, so that the node
// can neither serve on the port nor bind it again.
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

Console.WriteLine($"stand-in node starting (pid {Environment.ProcessId}): {string.Join(' ', args)}");
try
{
    return await StandIn.RunAsync(args);
}
catch (Exception e)
{
    Console.Error.WriteLine($"stand-in node failed: {e}");
    return 1;
}

internal sealed class StandIn
{
    private const long Commit = 7;

    private readonly int self;
    private readonly bool healthy;
    private readonly string role;
    private readonly int leaderId;
    private readonly string leaderHttp;
    private readonly List<(int Id, string Http, string Peer)> members;

    // The leader's view of the other members. Requests are served one at a time under this lock.
    private readonly Dictionary<int, (bool Voter, string Peer)> peers = [];
    private readonly Lock gate = new();

    private StandIn(int self, bool healthy, bool join, List<(int Id, string Http, string Peer)> members)
    {
        this.self = self;
        this.healthy = healthy;
        this.members = members;
        leaderId = members.Where(m => m.Id != self || !join).Min(m => m.Id);
        leaderHttp = members.First(m => m.Id == leaderId).Http;
        role = join ? "learner" : self == leaderId ? "leader" : "follower";
        foreach (var member in members.Where(m => m.Id != self))
        {
            peers[member.Id] = (true, member.Peer);
        }
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var configIndex = Array.IndexOf(args, "--config");
        if (configIndex < 0 || configIndex + 1 >= args.Length)
        {
            Console.Error.WriteLine("usage: stand-in --config FILE");
            return 2;
        }

        using var document = JsonDocument.Parse(File.ReadAllText(args[configIndex + 1]));
        var colony = document.RootElement.GetProperty("Colony");
        var self = colony.GetProperty("NodeId").GetInt32();
        var http = colony.GetProperty("Http").GetString()!;
        var members = colony.GetProperty("Members").EnumerateArray()
            .Select(m => (Id: m.GetProperty("Id").GetInt32(), Http: m.GetProperty("Http").GetString()!, Peer: m.GetProperty("Peer").GetString()!))
            .ToList();
        var node = new StandIn(self, !args.Contains("--unhealthy"), colony.GetProperty("Join").GetBoolean(), members);

        var held = new List<TcpListener>();
        try
        {
            // The peer port last: once it takes connections, the HTTP port does too.
            foreach (var address in (string[])[colony.GetProperty("ZooKeeper").GetString()!, http, colony.GetProperty("Peer").GetString()!])
            {
                var listener = new TcpListener(IPAddress.Loopback, Port(address));
                listener.Start();
                held.Add(listener);
            }

            Console.WriteLine($"stand-in node {self} ({node.role}) serving {http}");
            using var stop = new CancellationTokenSource();
            using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
            using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
            await Task.WhenAll(node.ServeAsync(held[1], stop.Token), AcceptAndCloseAsync(held[2], stop.Token));
        }
        finally
        {
            foreach (var listener in held)
            {
                listener.Stop();
            }
        }

        Console.WriteLine($"stand-in node {self} stopped");
        return 0;
    }

    private static int Port(string address) =>
        address.Contains("://", StringComparison.Ordinal) ? new Uri(address).Port : int.Parse(address[(address.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);

    // Connections to the peer port (a leader's probes) are taken and closed, so that none pile up there.
    private static async Task AcceptAndCloseAsync(TcpListener listener, CancellationToken stop)
    {
        while (true)
        {
            try
            {
                using var connection = await listener.AcceptSocketAsync(stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException)
            {
                // A connection that went away before it was taken.
            }
        }
    }

    // Whether a connection to the address is taken, on loopback.
    private static bool Reachable(string address)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            return socket.ConnectAsync(IPAddress.Loopback, Port(address)).Wait(TimeSpan.FromSeconds(1));
        }
        catch (AggregateException)
        {
            return false;
        }
    }

    private async Task ServeAsync(TcpListener listener, CancellationToken stop)
    {
        while (true)
        {
            Socket connection;
            try
            {
                connection = await listener.AcceptSocketAsync(stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException)
            {
                continue; // a connection that went away before it was taken
            }

            _ = Task.Run(() => Answer(connection), CancellationToken.None);
        }
    }

    // One request, one answer, then the connection closes.
    private void Answer(Socket connection)
    {
        using (connection)
        using (var network = new NetworkStream(connection, ownsSocket: false))
        {
            try
            {
                connection.ReceiveTimeout = 10_000;
                var input = new BufferedStream(network);
                var requestLine = ReadLine(input)?.Split(' ');
                if (requestLine is not { Length: 3 })
                {
                    return;
                }

                var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                for (var line = ReadLine(input); !string.IsNullOrEmpty(line); line = ReadLine(input))
                {
                    var colon = line.IndexOf(':', StringComparison.Ordinal);
                    if (colon > 0)
                    {
                        headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
                    }
                }

                var body = ReadBody(input, headers);
                var path = requestLine[1].Split('?')[0];
                (int Status, JsonNode? Body) answer;
                lock (gate)
                {
                    answer = Handle(requestLine[0], path, body);
                }

                var payload = Encoding.UTF8.GetBytes(answer.Body?.ToJsonString() ?? "{}");
                var head = $"HTTP/1.1 {answer.Status} {Reason(answer.Status)}\r\nContent-Type: application/json\r\nContent-Length: {payload.Length}\r\nConnection: close\r\n\r\n";
                network.Write(Encoding.ASCII.GetBytes(head));
                network.Write(payload);
            }
            catch (Exception e) when (e is IOException or SocketException or FormatException or JsonException)
            {
                // A client that went away or sent nonsense: nothing to answer.
            }
        }
    }

    private (int, JsonNode?) Handle(string method, string path, byte[] body) => (method, path) switch
    {
        ("GET", "/health") => (200, null),
        ("GET", "/status") => (200, Status()),
        ("GET", "/api/cluster") => (200, Overview()),
        ("POST", "/cluster/members") => role != "leader" ? Misdirected() : Add(JsonNode.Parse(body)!),
        ("DELETE", _) when path.StartsWith("/cluster/members/", StringComparison.Ordinal) =>
            role != "leader" ? Misdirected() : Remove(int.Parse(path["/cluster/members/".Length..], CultureInfo.InvariantCulture)),
        _ => (404, null),
    };

    private JsonNode Status() => new JsonObject
    {
        ["id"] = self,
        ["role"] = role,
        ["term"] = 1,
        ["leader"] = leaderId,
        ["commit"] = Commit,
        ["applied"] = Commit,
        ["healthy"] = healthy,
        ["peers"] = role != "leader"
            ? new JsonArray()
            : new JsonArray([.. peers.OrderBy(p => p.Key).Select(p => Reachable(p.Value.Peer)
                ? (JsonNode)new JsonObject { ["id"] = p.Key, ["match"] = Commit, ["next"] = Commit + 1, ["state"] = "Replicate", ["voter"] = p.Value.Voter }
                : new JsonObject { ["id"] = p.Key, ["match"] = 0, ["next"] = 1, ["state"] = "Probe", ["voter"] = p.Value.Voter })]),
    };

    private JsonNode Overview() => new JsonObject
    {
        ["leader"] = leaderId,
        ["nodes"] = new JsonArray([.. members.Select(m => (JsonNode)new JsonObject
        {
            ["id"] = m.Id,
            ["health"] = "healthy",
            ["blocks"] = m.Id * 10,
            ["runningTasks"] = m.Id == self ? 1 : 0,
        })]),
        ["alerts"] = new JsonArray(new JsonObject
        {
            ["severity"] = "warning",
            ["kind"] = "stand-in",
            ["message"] = $"stand-in node {self} drew this overview",
        }),
    };

    private (int, JsonNode?) Misdirected() => (421, new JsonObject { ["leader"] = leaderHttp });

    private (int, JsonNode?) Add(JsonNode member)
    {
        peers[member["id"]!.GetValue<int>()] = (member["role"]!.GetValue<string>() == "voter", member["peer"]!.GetValue<string>());
        return (200, null);
    }

    private (int, JsonNode?) Remove(int id) => peers.Remove(id) ? (200, null) : (404, new JsonObject { ["title"] = $"node {id} is not a member" });

    private static string Reason(int status) => status switch
    {
        200 => "OK",
        404 => "Not Found",
        421 => "Misdirected Request",
        _ => "Status",
    };

    // A line of the request head, without its CRLF; null at the end of the stream.
    private static string? ReadLine(Stream input)
    {
        var bytes = new List<byte>();
        for (var b = input.ReadByte(); b != '\n'; b = input.ReadByte())
        {
            if (b < 0)
            {
                return bytes.Count == 0 ? null : throw new IOException("the request ended inside a line");
            }

            bytes.Add((byte)b);
        }

        return Encoding.ASCII.GetString([.. bytes]).TrimEnd('\r');
    }

    // The body as Content-Length says, or in chunks (as HttpClient sends JSON content).
    private static byte[] ReadBody(Stream input, Dictionary<string, string> headers)
    {
        if (headers.TryGetValue("Content-Length", out var length))
        {
            var body = new byte[int.Parse(length, CultureInfo.InvariantCulture)];
            input.ReadExactly(body);
            return body;
        }

        if (!headers.TryGetValue("Transfer-Encoding", out var encoding) || !encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            return [];
        }

        using var chunks = new MemoryStream();
        while (true)
        {
            var size = int.Parse((ReadLine(input) ?? throw new IOException("the request ended inside its body")).Split(';')[0].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (size == 0)
            {
                // Trailers, up to the empty line.
                while (!string.IsNullOrEmpty(ReadLine(input)))
                {
                }

                return chunks.ToArray();
            }

            var chunk = new byte[size];
            input.ReadExactly(chunk);
            chunks.Write(chunk);
            ReadLine(input);
        }
    }
}
