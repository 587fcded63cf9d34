using System.Reflection;
using Colony.Node.Hosting;
using Colony.Node.ZooKeeper;

namespace Colony.Node.Dashboard;

/// <summary>This node's own facts: its summary for the others, and its details for the node page.</summary>
internal sealed class NodeSelf(NodeOptions options, CoordinationOptions coordination, ReplicaLoop loop, CoordinationServer server, LogRing logs, TimeProvider time)
{
    /// <summary>The version every page and summary shows.</summary>
    public static string Version { get; } =
        typeof(NodeSelf).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    private readonly DateTimeOffset _startedAt = time.GetUtcNow();

    public ulong Id => options.NodeId;

    public string ClusterId => options.ClusterId;

    /// <summary>This node's HTTP address, where the dashboard's actions call the API.</summary>
    public string Http => options.Http;


    public ReplicaLoop Loop => loop;

    public CoordinationServer Coordination => server;

    public NodeSummary Summary()
    {
        var status = loop.Status;
        var stats = server.Stats();
        // Roles grow as storage and compute land; today every node is a replica and a ZooKeeper server.
        List<string> roles = [status.Role == "learner" ? "learner" : "voter"];
        if (options.ZooKeeper is not null)
        {
            roles.Add("zookeeper");
        }
        return new NodeSummary(
            options.NodeId, Version, roles, status.Role, status.Term, status.Leader, status.Commit, status.Applied, status.Healthy,
            _startedAt, options.Http, options.ZooKeeper, Disk(options.DataDir),
            stats.Connections, stats.Received, stats.Znodes, stats.Watches, stats.Sessions);
    }

    public NodeDetails Details(int logLines = 100)
    {
        var status = loop.Status;
        IReadOnlyList<PeerView>? peers = status.Role == "leader"
            ? [.. status.Peers.OrderBy(p => p.Id).Select(p => new PeerView(p.Id, p.Match, p.Next, status.Commit - Math.Min(status.Commit, p.Match), p.State, p.Voter))]
            : null;
        return new NodeDetails(
            Summary(),
            loop.LeaderHttp,
            peers,
            [.. ConfigurationView.Settings("Colony", options), .. ConfigurationView.Settings("Colony:Coordination", coordination)],
            [.. logs.Recent(logLines).Select(l => new LogLineView(l.Time, l.Level, l.Category, l.Message))]);
    }

    /// <summary>The volume holding <paramref name="path"/>; zeros if it cannot be read.</summary>
    public static DiskView Disk(string path)
    {
        try
        {
            var drive = new DriveInfo(Path.GetFullPath(path));
            return new DiskView(drive.TotalSize, drive.AvailableFreeSpace);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return new DiskView(0, 0);
        }
    }
}
