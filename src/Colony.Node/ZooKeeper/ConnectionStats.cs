using Colony.Coordination;

namespace Colony.Node.ZooKeeper;

/// <summary>
/// One connection's request statistics, as ZooKeeper's <c>cons</c> shows them: the last operation (ZooKeeper's
/// four-letter name for it), its cxid and zxid, when it was answered and how long that took, and the latencies
/// so far. Written and read under the server's gate.
/// </summary>
internal sealed class ConnectionStats(long establishedMs)
{
    /// <summary>When the connection was accepted, in wall-clock milliseconds (cons's <c>est</c>).</summary>
    public long EstablishedMs { get; } = establishedMs;

    public string LastOp { get; private set; } = "NA";

    /// <summary>The last request's xid, or -1 before any (pings, xid -2, leave it as it is).</summary>
    public long LastCxid { get; private set; } = -1;

    public long LastZxid { get; private set; } = -1;

    /// <summary>When the last reply left, in the server's elapsed milliseconds.</summary>
    public long LastResponseMs { get; private set; }

    public long LastLatencyMs { get; private set; }

    public long MaxLatencyMs { get; private set; }

    private long _minLatencyMs = long.MaxValue;
    private long _count;
    private long _totalLatencyMs;

    public long MinLatencyMs => _minLatencyMs == long.MaxValue ? 0 : _minLatencyMs;

    /// <summary>Whole milliseconds, as ZooKeeper divides.</summary>
    public long AverageLatencyMs => _count == 0 ? 0 : _totalLatencyMs / _count;

    public void Record(string op, long cxid, long zxid, long startMs, long endMs)
    {
        if (cxid >= 0)
        {
            LastCxid = cxid;
        }
        LastZxid = zxid;
        LastOp = op;
        LastResponseMs = endMs;
        long latency = Math.Max(0, endMs - startMs);
        LastLatencyMs = latency;
        _minLatencyMs = Math.Min(_minLatencyMs, latency);
        MaxLatencyMs = Math.Max(MaxLatencyMs, latency);
        _count++;
        _totalLatencyMs += latency;
    }

    /// <summary>What <c>crst</c> does: everything but the time the connection was made.</summary>
    public void Reset()
    {
        LastOp = "NA";
        LastCxid = -1;
        LastZxid = -1;
        LastResponseMs = 0;
        LastLatencyMs = 0;
        MaxLatencyMs = 0;
        _minLatencyMs = long.MaxValue;
        _count = 0;
        _totalLatencyMs = 0;
    }

    /// <summary>ZooKeeper's name for a request type in <c>cons</c> (its lop field); "NA" for those it does not name.</summary>
    public static string NameOf(OpCode type) => type switch
    {
        OpCode.CreateSession => "SESS",
        OpCode.CloseSession => "CLOS",
        OpCode.Create or OpCode.Create2 or OpCode.CreateContainer or OpCode.CreateTtl => "CREA",
        OpCode.Delete or OpCode.DeleteContainer => "DELE",
        OpCode.Exists => "EXIS",
        OpCode.GetData => "GETD",
        OpCode.SetData => "SETD",
        OpCode.GetAcl => "GETA",
        OpCode.SetAcl => "SETA",
        OpCode.GetChildren or OpCode.GetChildren2 => "GETC",
        OpCode.Sync => "SYNC",
        OpCode.Ping => "PING",
        OpCode.Check => "CHEC",
        OpCode.Multi => "MULT",
        OpCode.MultiRead => "MLTR",
        OpCode.Reconfig => "RECO",
        OpCode.CheckWatches => "CHKW",
        OpCode.RemoveWatches => "REMW",
        OpCode.SetWatches => "SETW",
        OpCode.SetWatches2 => "STW2",
        OpCode.GetEphemerals => "GETE",
        OpCode.GetAllChildrenNumber => "GETACN",
        OpCode.AddWatch => "ADDW",
        OpCode.WhoAmI => "HOMI",
        _ => "NA",
    };
}
