using System.Diagnostics;
using Colony.Coordination;
using Colony.Coordination.Tree;
using Colony.Node.Dashboard;

namespace Colony.Node.ZooKeeper;

internal sealed partial class CoordinationServer
{
    private readonly Dictionary<OpCode, long> _requestsByOpcode = [];

    /// <summary>The longest data preview the browser shows; the rest is only counted.</summary>
    public const int PreviewBytes = 1024;

    /// <summary>The most children one browser page lists.</summary>
    public const int BrowseChildren = 1000;

    /// <summary>Counts one answered request, by opcode, for the dashboard and /metrics (under the gate).</summary>
    private void RecordRequest(PendingRequest request)
    {
        OpCode type = request.Header.Type;
        _requestsByOpcode[type] = _requestsByOpcode.GetValueOrDefault(type) + 1;
        if (_metrics is { } metrics)
        {
            var tag = new KeyValuePair<string, object?>("opcode", OpCodeName(type));
            metrics.ZooKeeperRequests.Add(1, tag);
            metrics.ZooKeeperLatency.Record(Stopwatch.GetElapsedTime(request.SinceTimestamp).TotalSeconds, tag);
        }
    }

    private static string OpCodeName(OpCode type) => Enum.IsDefined(type) ? type.ToString() : "unknown";

    /// <summary>This node's coordination figures, read consistently under the gate.</summary>
    public CoordinationStats Stats()
    {
        lock (_gate)
        {
            var c = _counters;
            return new CoordinationStats(
                Mode,
                _connections.Count,
                Tree.SessionCount,
                Tree.NodeCount,
                _watches.Summary.Watches,
                Tree.EphemeralCount,
                Tree.ApproximateDataSize,
                Tree.LastZxid,
                c.Received,
                c.Sent,
                Outstanding,
                c.AverageLatencyMs,
                c.MaxLatencyMs,
                _requestsByOpcode.OrderByDescending(p => p.Value).Select(p => new OpcodeCount(OpCodeName(p.Key), p.Value)).ToList());
        }
    }

    /// <summary>
    /// One znode for the read-only browser: its Stat, ACL, children and a data preview. The preview is
    /// withheld unless the ACL lets anyone read: the dashboard must not become a way around ACLs.
    /// </summary>
    public ZNodeBrowse? Browse(string path)
    {
        lock (_gate)
        {
            if (!Tree.TryGetNode(path, out var node))
            {
                return null;
            }
            Tree.TryGetChildren(path, out var children);
            bool worldReadable = node.Acl.Any(a => a.Id == Id.Anyone && (a.Perms & Perms.Read) != 0);
            DataPreview? preview = worldReadable && node.Data is { } data ? DataPreview.Of(data.Span, PreviewBytes) : null;
            var sorted = children.Order(StringComparer.Ordinal).ToList();
            return new ZNodeBrowse(
                path,
                node.Stat,
                [.. node.Acl.Select(a => new AclView(a.Id.Scheme, a.Id.Identity, PermsText(a.Perms)))],
                [.. sorted.Take(BrowseChildren)],
                sorted.Count,
                worldReadable,
                preview);
        }
    }

    private static string PermsText(Perms perms) => string.Concat(
        (perms & Perms.Create) != 0 ? "c" : "",
        (perms & Perms.Delete) != 0 ? "d" : "",
        (perms & Perms.Read) != 0 ? "r" : "",
        (perms & Perms.Write) != 0 ? "w" : "",
        (perms & Perms.Admin) != 0 ? "a" : "");
}
