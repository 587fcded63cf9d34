using System.Globalization;

namespace Colony.FaultTests.Workloads;

public enum ObservationKind : byte
{
    /// <summary>getData with no sync first: served by whichever node the session is on.</summary>
    PlainRead = 1,

    /// <summary>sync, then getData.</summary>
    SyncedRead = 2,

    /// <summary>An acknowledged setData: the version and zxid it created.</summary>
    Write = 3,
}

/// <summary>
/// One answered operation of one session on one znode: the version it read or wrote and that
/// version's zxid (the Stat's mzxid). Within a session, operations are listed in the order the
/// client issued them (one at a time).
/// </summary>
public readonly record struct SessionObservation(long Session, ObservationKind Kind, string Key, int Version, long Zxid, long CallTime, long ReturnTime)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"session 0x{Session:x} {Kind} {Key} v{Version} (zxid 0x{Zxid:x}) at {CallTime}..{ReturnTime}");
}

/// <summary>
/// ZooKeeper's promises to one session for reads that skip sync, which are served by whichever node
/// the session is on and so may lag other sessions' writes, but never the session's own past:
/// <list type="bullet">
/// <item><b>Read your writes</b>: after the session's write of a znode was acknowledged at version
/// v, its reads of that znode return v or later.</item>
/// <item><b>Sequential consistency</b> (ZooKeeper's "single system image"): the session never sees
/// an older state than one it has already seen, even on another node. Every reply shows a state at
/// least as new as the newest zxid the session has seen, so a read returning version v of a znode is
/// wrong if some later version of that znode has a zxid the session had already seen past; and the
/// session's writes take effect in the order it sent them, each with a zxid above all it has seen.</item>
/// </list>
/// Versions' zxids come from every session's acknowledged writes and reads, so one session's read
/// is also judged against versions other sessions wrote, once this session has seen past them.
/// </summary>
public static class SessionCheck
{
    public static (bool ReadYourWrites, bool Sequential, string Detail) Check(IReadOnlyList<SessionObservation> observations)
    {
        // Every version's zxid that anyone saw: a write's reply or a read of it.
        var zxids = new Dictionary<(string Key, int Version), long>();
        foreach (var o in observations)
        {
            zxids.TryAdd((o.Key, o.Version), o.Zxid);
        }
        var versionsByKey = zxids.GroupBy(z => z.Key.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(z => (z.Key.Version, Zxid: z.Value)).OrderBy(z => z.Version).ToArray(), StringComparer.Ordinal);

        var ryw = new List<string>();
        var sequential = new List<string>();
        int sessions = 0;
        foreach (var session in observations.GroupBy(o => o.Session))
        {
            sessions++;
            long seen = 0;
            var written = new Dictionary<string, SessionObservation>(StringComparer.Ordinal);
            foreach (var o in session.OrderBy(o => o.CallTime))
            {
                if (o.Kind == ObservationKind.Write)
                {
                    if (o.Zxid <= seen)
                    {
                        sequential.Add($"{o}: a write at or below zxid 0x{seen:x}, which the session had already seen");
                    }
                    written[o.Key] = o;
                }
                else
                {
                    if (written.TryGetValue(o.Key, out var write) && o.Version < write.Version)
                    {
                        ryw.Add($"{o} after its own write of v{write.Version}");
                    }
                    // The newest version of this znode the session's view must already include.
                    var missed = versionsByKey[o.Key].LastOrDefault(v => v.Version > o.Version && v.Zxid <= seen);
                    if (missed.Zxid != 0)
                    {
                        sequential.Add($"{o}, but the session had seen zxid 0x{seen:x}, past v{missed.Version} (zxid 0x{missed.Zxid:x})");
                    }
                }
                seen = Math.Max(seen, o.Zxid);
            }
        }
        string detail = ryw.Count + sequential.Count == 0
            ? $"{observations.Count} answered operations in {sessions} sessions ({observations.Count(o => o.Kind == ObservationKind.PlainRead)} reads without sync): no session saw its past"
            : string.Join("; ", ryw.Take(5).Concat(sequential.Take(5)));
        return (ryw.Count == 0, sequential.Count == 0, detail);
    }
}
