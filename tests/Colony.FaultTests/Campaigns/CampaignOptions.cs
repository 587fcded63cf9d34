using Colony.FaultTests.Nemeses;
using Colony.FaultTests.Workloads;

namespace Colony.FaultTests.Campaigns;

/// <summary>What a campaign runs: the bed, the faults and the workload.</summary>
public sealed record CampaignOptions
{
    public int Seed { get; init; }

    public int Nodes { get; init; } = 5;

    /// <summary>
    /// Client hosts for the ZooKeeper workloads' clients, each beside one node in turn, so partitions
    /// leave some clients with the minority. 0 runs every client in the root namespace, never cut.
    /// </summary>
    public int ClientHosts { get; init; } = 5;

    /// <summary>How long the workload runs under faults.</summary>
    public TimeSpan Length { get; init; } = TimeSpan.FromMinutes(2);

    public IReadOnlyList<NemesisKind> Kinds { get; init; } = NemesisKinds.Standard;

    public RegisterWorkloadOptions Workload { get; init; } = new();

    /// <summary>The workloads run beside the register, under the same faults.</summary>
    public IReadOnlyList<WorkloadKind> Workloads { get; init; } = Enum.GetValues<WorkloadKind>();

    public LockWorkloadOptions Locks { get; init; } = new();

    public EphemeralWorkloadOptions Ephemerals { get; init; } = new();

    public ComputeWorkloadOptions Compute { get; init; } = new();

    /// <summary>The storage workload's; it runs last, as its check kills a data node for good.</summary>
    public StorageWorkloadOptions Storage { get; init; } = new();

    /// <summary>Where to write the history, report and timeline (SVG) of the run, whatever its verdict; null writes none.</summary>
    public string? RunDirectory { get; init; }

    /// <summary>Where to keep the history, node logs and what each disk holds after a violation; null keeps nothing.</summary>
    public string? KeepDirectory { get; init; }

    /// <summary>Keep the history, node logs and disk listings in <see cref="KeepDirectory"/> even when every check passes.</summary>
    public bool KeepAlways { get; init; }

    /// <summary>
    /// Short Raft and ZooKeeper ticks: elections within about a second, and session timeouts from 1 s,
    /// so that a pause can outlive a session within a short run.
    /// </summary>
    public static IReadOnlyDictionary<string, object> Coordination { get; } = new Dictionary<string, object> { ["TickTimeMs"] = 500 };

    /// <summary>The size of each node's tmpfs data directory when the full-disk nemesis may run.</summary>
    public const int DiskMiB = 512;

    /// <summary>
    /// A data node silent for 4 s is dead and its replicas are copied elsewhere, with repair planned
    /// every 250 ms: long kills and pauses then cause re-replication within a short run.
    /// </summary>
    public static IReadOnlyDictionary<string, object> FileSystem { get; } = new Dictionary<string, object>
    {
        ["DeadNodeAfterMs"] = 4000,
        ["RepairIntervalMs"] = 250,
    };

    /// <summary>
    /// The five nodes share a small machine: one core each (as `colony up` shares a machine's cores
    /// among its nodes) and a small sort buffer keep a job's executors from starving the other workloads.
    /// </summary>
    public static IReadOnlyDictionary<string, object> ComputeSection { get; } = new Dictionary<string, object>
    {
        ["Cores"] = 1,
        ["SortBufferBytes"] = 4 * 1024 * 1024,
    };
}
