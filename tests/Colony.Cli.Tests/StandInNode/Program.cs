// A stand-in for `colony node --config FILE`, which the CLI tests start through COLONY_NODE_COMMAND.
// It reads the node's configuration, holds its ZooKeeper and peer ports, and serves the node's
// HTTP contract on its HTTP port: /health, /status, the dashboard's overview (/api/cluster, with one
// alert that names the node answering) and the membership endpoints. The member with the
// lowest id leads; the others answer membership changes with 421 and the leader's address.
// With --unhealthy it reports itself unhealthy. SIGTERM and SIGINT stop it cleanly.
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

var configIndex = Array.IndexOf(args, "--config");
if (configIndex < 0 || configIndex + 1 >= args.Length)
{
    Console.Error.WriteLine("usage: stand-in --config FILE");
    return 2;
}

var healthy = !args.Contains("--unhealthy");
using var document = JsonDocument.Parse(File.ReadAllText(args[configIndex + 1]));
var colony = document.RootElement.GetProperty("Colony");
var self = colony.GetProperty("NodeId").GetInt32();
var http = colony.GetProperty("Http").GetString()!;
var join = colony.GetProperty("Join").GetBoolean();
var members = colony.GetProperty("Members").EnumerateArray()
    .Select(m => (Id: m.GetProperty("Id").GetInt32(), Http: m.GetProperty("Http").GetString()!))
    .ToList();
var leaderId = members.Where(m => m.Id != self || !join).Min(m => m.Id);
var leaderHttp = members.First(m => m.Id == leaderId).Http;
var role = join ? "learner" : self == leaderId ? "leader" : "follower";
const long Commit = 7;

// The leader's view of the other members: id → voter.
var peers = new Dictionary<int, bool>();
foreach (var member in members.Where(m => m.Id != self))
{
    peers[member.Id] = true;
}

var held = new List<TcpListener>();
foreach (var name in (string[])["ZooKeeper", "Peer"])
{
    var address = colony.GetProperty(name).GetString()!;
    var listener = new TcpListener(IPAddress.Loopback, int.Parse(address[(address.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    listener.Start();
    held.Add(listener);
}

using var server = StartListener(http);
Console.WriteLine($"stand-in node {self} ({role}) serving {http}");

using var stop = new CancellationTokenSource();
using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
using var closing = stop.Token.Register(server.Stop);

while (!stop.IsCancellationRequested)
{
    HttpListenerContext context;
    try
    {
        context = await server.GetContextAsync();
    }
    catch (Exception) when (stop.IsCancellationRequested)
    {
        break;
    }

    var request = context.Request;
    var path = request.Url!.AbsolutePath;
    var (status, body) = (request.HttpMethod, path) switch
    {
        ("GET", "/health") => (200, null),
        ("GET", "/status") => (200, Status()),
        ("GET", "/api/cluster") => (200, Overview()),
        ("POST", "/cluster/members") => role != "leader" ? Misdirected() : Add(JsonNode.Parse(request.InputStream)!),
        ("DELETE", _) when path.StartsWith("/cluster/members/", StringComparison.Ordinal) =>
            role != "leader" ? Misdirected() : Remove(int.Parse(path["/cluster/members/".Length..], System.Globalization.CultureInfo.InvariantCulture)),
        _ => (404, (JsonNode?)null),
    };

    context.Response.StatusCode = status;
    context.Response.ContentType = "application/json";
    var bytes = Encoding.UTF8.GetBytes(body?.ToJsonString() ?? "{}");
    await context.Response.OutputStream.WriteAsync(bytes);
    context.Response.Close();
}

foreach (var listener in held)
{
    listener.Stop();
}

Console.WriteLine($"stand-in node {self} stopped");
return 0;

JsonNode Status() => new JsonObject
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
        : new JsonArray([.. peers.OrderBy(p => p.Key).Select(p => (JsonNode)new JsonObject
        {
            ["id"] = p.Key,
            ["match"] = Commit,
            ["next"] = Commit + 1,
            ["state"] = "Replicate",
            ["voter"] = p.Value,
        })]),
};

JsonNode Overview() => new JsonObject
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

(int, JsonNode?) Misdirected() => (421, new JsonObject { ["leader"] = leaderHttp });

(int, JsonNode?) Add(JsonNode member)
{
    peers[member["id"]!.GetValue<int>()] = member["role"]!.GetValue<string>() == "voter";
    return (200, null);
}

(int, JsonNode?) Remove(int id) => peers.Remove(id) ? (200, null) : (404, new JsonObject { ["title"] = $"node {id} is not a member" });

// The managed HttpListener can fail inside Start when a connection (the CLI polling /health) arrives
// while it is still setting up its socket: a race in the runtime, not in the CLI under test. Start again.
static HttpListener StartListener(string http)
{
    for (int attempt = 1; ; attempt++)
    {
        var listener = new HttpListener();
        listener.Prefixes.Add(http.TrimEnd('/') + "/");
        try
        {
            listener.Start();
            return listener;
        }
        catch (ArgumentNullException) when (attempt < 5)
        {
            listener.Close();
        }
    }
}
