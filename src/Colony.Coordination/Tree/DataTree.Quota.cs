namespace Colony.Coordination.Tree;

/// <remarks>
/// Quotas, as ZooKeeper 3.7+ keeps them: a <c>zookeeper_limits</c> node under
/// <c>/zookeeper/quota/PATH</c> limits the subtree at PATH, and the tree keeps its usage in the
/// <c>zookeeper_stats</c> node next to it (rewritten on every change, with no new version, as
/// ZooKeeper does). A change is measured against the deepest quota above it. A hard limit
/// (<c>countHardLimit</c>, <c>byteHardLimit</c>) refuses the change with QuotaExceeded; a soft one
/// (<c>count</c>, <c>bytes</c>) only reports it. Usage is derived state: rebuilt from the nodes after a
/// snapshot is loaded, never stored on its own.
/// </remarks>
public sealed partial class DataTree
{
    private readonly Dictionary<string, QuotaEntry> _quotas = new(StringComparer.Ordinal);

    /// <summary>The usage of the quota on <paramref name="target"/>, if there is one.</summary>
    public bool TryGetQuota(string target, out QuotaNumbers limits, out long count, out long bytes)
    {
        if (_quotas.TryGetValue(target, out var entry))
        {
            (limits, count, bytes) = (entry.Limits, entry.Count, entry.Bytes);
            return true;
        }
        (limits, count, bytes) = (QuotaNumbers.None, 0, 0);
        return false;
    }

    /// <summary>The deepest quota'd path at or above <paramref name="path"/>; none for ZooKeeper's own nodes.</summary>
    private string? QuotaOwnerOf(string path)
    {
        if (_quotas.Count == 0 || path == ZooKeeperPath || path.StartsWith(ZooKeeperPath + "/", StringComparison.Ordinal))
        {
            return null;
        }
        for (string current = path; ; current = PathValidator.ParentOf(current))
        {
            if (_quotas.ContainsKey(current))
            {
                return current;
            }
            if (current == RootPath)
            {
                return null;
            }
        }
    }

    /// <summary>
    /// Measures a prepared change (nodes and bytes added) against its quota, counting what earlier
    /// operations of the same multi already added.
    /// </summary>
    private QuotaVerdict MeasureQuota(string path, long countDelta, long bytesDelta, Overlay overlay, out string? owner)
    {
        owner = QuotaOwnerOf(path);
        if (owner is null)
        {
            return QuotaVerdict.Within;
        }
        var entry = _quotas[owner];
        var (pendingCount, pendingBytes) = overlay.QuotaDelta(owner);
        long count = entry.Count + pendingCount + countDelta;
        long bytes = entry.Bytes + pendingBytes + bytesDelta;
        var limits = entry.Limits;
        if ((countDelta > 0 && limits.CountHardLimit >= 0 && count > limits.CountHardLimit)
            || (bytesDelta > 0 && limits.ByteHardLimit >= 0 && bytes > limits.ByteHardLimit))
        {
            return QuotaVerdict.OverHardLimit;
        }
        overlay.AddQuotaDelta(owner, countDelta, bytesDelta);
        return (limits.Count >= 0 && count > limits.Count) || (limits.Bytes >= 0 && bytes > limits.Bytes)
            ? QuotaVerdict.OverSoftLimit
            : QuotaVerdict.Within;
    }

    /// <summary>After a node was created, deleted or changed at <paramref name="path"/>: usage and quota definitions follow.</summary>
    private void QuotaAfterChange(string path, long countDelta, long bytesDelta)
    {
        if (QuotaOwnerOf(path) is { } owner)
        {
            var entry = _quotas[owner];
            entry.Count += countDelta;
            entry.Bytes += bytesDelta;
            WriteUsage(owner, entry);
        }
        if (QuotaPaths.TryQuotaTarget(path, out string target, out bool isLimits))
        {
            if (isLimits)
            {
                DefineQuota(target);
            }
            else if (_quotas.TryGetValue(target, out var entry))
            {
                WriteUsage(target, entry); // a stats node created (or overwritten) by a client shows the real usage
            }
        }
    }

    /// <summary>(Re)reads the limits of <paramref name="target"/>'s quota, or drops the quota if its node is gone.</summary>
    private void DefineQuota(string target)
    {
        if (!_nodes.TryGetValue(QuotaPaths.LimitsPathOf(target), out var limitsNode))
        {
            _quotas.Remove(target);
            return;
        }
        var limits = QuotaNumbers.Parse(limitsNode.Data);
        if (_quotas.TryGetValue(target, out var existing))
        {
            existing.Limits = limits;
            return;
        }
        var entry = new QuotaEntry(limits);
        MeasureSubtree(target, entry);
        _quotas[target] = entry;
        WriteUsage(target, entry);
    }

    private void MeasureSubtree(string target, QuotaEntry entry)
    {
        if (!_nodes.TryGetValue(target, out var root))
        {
            return;
        }
        var pending = new Stack<(string Path, ZNode Node)>();
        pending.Push((target, root));
        while (pending.Count > 0)
        {
            var (path, node) = pending.Pop();
            entry.Count++;
            entry.Bytes += node.Data?.Length ?? 0;
            if (node.Children is not { } children)
            {
                continue;
            }
            foreach (string child in children)
            {
                string childPath = path == RootPath ? "/" + child : path + "/" + child;
                pending.Push((childPath, _nodes[childPath]));
            }
        }
    }

    private void WriteUsage(string target, QuotaEntry entry)
    {
        if (_nodes.TryGetValue(QuotaPaths.StatsPathOf(target), out var stats))
        {
            byte[] usage = QuotaNumbers.Usage(entry.Count, entry.Bytes);
            ApproximateDataSize += usage.Length - (stats.Data?.Length ?? 0);
            stats.Data = usage;
        }
    }

    /// <summary>Rebuilds every quota from the nodes, after the tree was replaced wholesale.</summary>
    private void RebuildQuotas()
    {
        _quotas.Clear();
        var targets = _nodes.Keys
            .Where(p => QuotaPaths.TryQuotaTarget(p, out _, out bool isLimits) && isLimits)
            .Select(p => { QuotaPaths.TryQuotaTarget(p, out string t, out _); return t; })
            .Order(StringComparer.Ordinal)
            .ToList();
        foreach (string target in targets)
        {
            DefineQuota(target);
        }
    }
}
