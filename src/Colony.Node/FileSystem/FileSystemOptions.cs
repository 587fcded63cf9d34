using Microsoft.Extensions.Configuration;

namespace Colony.Node.FileSystem;

/// <summary>
/// The file system's timings, section "Colony:FileSystem" (JSON, then COLONY_ variables such as
/// <c>COLONY_Colony__FileSystem__DeadNodeAfterMs</c>). The defaults suit production; tests shorten them.
/// </summary>
public sealed class FileSystemOptions
{
    public const string SectionName = "Colony:FileSystem";

    /// <summary>A data node silent this long is declared dead and its replicas are copied elsewhere. Default 10 s.</summary>
    public long DeadNodeAfterMs { get; set; } = 10_000;

    /// <summary>How often the leader plans repair and garbage collection. Default 1 s.</summary>
    public long RepairIntervalMs { get; set; } = 1_000;

    /// <summary>
    /// After taking over, how long a leader collects block reports before it plans repair or answers fsck (a map
    /// still filling would call every block missing). Default 3 s: three heartbeats.
    /// </summary>
    public long ReportGraceMs { get; set; } = BlockManager.DefaultReportGraceMs;

    /// <summary>Rest between two full scrubber passes on a data node. Default 1 hour.</summary>
    public long ScrubPauseMs { get; set; } = 3_600_000;

    /// <summary>Disk bandwidth the scrubber may use. Default 8 MiB/s.</summary>
    public long ScrubBytesPerSecond { get; set; } = 8L * 1024 * 1024;

    /// <summary>A trash checkpoint older than this is deleted for good. Default 24 hours.</summary>
    public long TrashExpiryMs { get; set; } = 24L * 3600 * 1000;

    /// <summary>How often the leader looks for expired trash. Default 1 minute.</summary>
    public long TrashCheckIntervalMs { get; set; } = 60_000;

    /// <summary>Whether the leader evens out disk use between data nodes by itself. Default on.</summary>
    public bool BalancerEnabled { get; set; } = true;

    /// <summary>The balancer acts while the most- and least-used data nodes differ by more than this many percentage points. Default 10.</summary>
    public double BalancerThresholdPercent { get; set; } = 10;

    /// <summary>Most balancer moves in flight at once (each a block copied, then deleted from its source). Default 16.</summary>
    public int BalancerMaxMoves { get; set; } = 16;

    /// <summary>
    /// Block transfer connections a data node serves at once from one IP address; more are closed on accept.
    /// 0 (the default) is no limit: on one machine every node and client shares 127.0.0.1.
    /// </summary>
    public int MaxTransferConnectionsPerIp { get; set; }

    /// <summary>
    /// How long a block access token handed out with block locations or a write pipeline is good for. A data node
    /// checks it when a transfer starts, so a longer transfer still finishes; a reader holding a file open longer
    /// fetches fresh tokens by itself. Default 10 minutes.
    /// </summary>
    public long BlockTokenLifetimeMs { get; set; } = 600_000;

    /// <summary>Reads the section from <paramref name="configuration"/> and validates it.</summary>
    public static FileSystemOptions From(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = new FileSystemOptions();
        configuration.GetSection(SectionName).Bind(options);
        options.Validate();
        return options;
    }

    /// <summary>Throws with a one-line reason if a value cannot work.</summary>
    public void Validate()
    {
        if (DeadNodeAfterMs <= 0 || RepairIntervalMs <= 0 || ReportGraceMs <= 0 || ScrubPauseMs <= 0 || ScrubBytesPerSecond <= 0
            || TrashExpiryMs <= 0 || TrashCheckIntervalMs <= 0 || BlockTokenLifetimeMs <= 0)
        {
            throw new InvalidOperationException("every Colony:FileSystem setting must be positive");
        }
        if (!(BalancerThresholdPercent > 0 && BalancerThresholdPercent <= 100) || BalancerMaxMoves <= 0)
        {
            throw new InvalidOperationException("Colony:FileSystem:BalancerThresholdPercent must be in (0, 100] and BalancerMaxMoves positive");
        }
        if (MaxTransferConnectionsPerIp < 0)
        {
            throw new InvalidOperationException("Colony:FileSystem:MaxTransferConnectionsPerIp must be 0 (no limit) or positive");
        }
    }
}
