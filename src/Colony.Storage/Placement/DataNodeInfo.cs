using Colony.Core;

namespace Colony.Storage.Placement;

public enum DataNodeState : byte
{
    Alive = 1,

    /// <summary>No heartbeat within the timeout: its replicas count for nothing, it gets no work.</summary>
    Dead = 2,

    /// <summary>Being drained: still serves reads and copies out, takes no new replicas, its replicas don't count.</summary>
    Decommissioning = 3,

    /// <summary>Drained: every block it held has enough replicas elsewhere; safe to turn off.</summary>
    Decommissioned = 4,
}

/// <summary>What placement knows of a data node, from its last heartbeat. Rack is null when none is declared.</summary>
public sealed record DataNodeInfo(
    NodeId Id, string? Rack, long CapacityBytes, long FreeBytes, int TransfersInFlight, DataNodeState State)
{
    /// <summary>The share of the node's capacity still free, in [0, 1].</summary>
    public double FreeFraction => CapacityBytes <= 0 ? 0 : Math.Clamp((double)FreeBytes / CapacityBytes, 0, 1);

    /// <summary>The share used, in [0, 1].</summary>
    public double UsedFraction => 1 - FreeFraction;

    /// <summary>The rack key, with every undeclared rack as one.</summary>
    internal string RackKey => Rack ?? "";
}
