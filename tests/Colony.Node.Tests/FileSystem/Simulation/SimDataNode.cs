using Colony.Node.FileSystem;

namespace Colony.Node.Tests.FileSystem.Simulation;

/// <summary>One replica on a simulated disk. Writer is the write (pipeline or copy) filling it; null once nothing is.</summary>
internal sealed class DiskReplica(ulong stamp, long length, bool finalized, long? writer)
{
    public ulong Stamp { get; set; } = stamp;

    public long Length { get; set; } = length;

    public bool Finalized { get; set; } = finalized;

    public long? Writer { get; set; } = writer;

    public override string ToString() => $"@{Stamp}/{Length}{(Finalized ? "" : Writer is null ? " rbw-leftover" : " rbw")}";
}

/// <summary>
/// A data node: a disk that survives restarts, and the volatile state of its current process, which mirrors
/// <see cref="DataNodeService"/>'s reporting protocol step for step (boot id, sequence, unsent changes, last
/// leader, full report wanted, copies running).
/// </summary>
internal sealed class SimDataNode(ulong id, string? rack)
{
    public const long Capacity = 100L * 1024 * 1024;

    public ulong Id { get; } = id;

    public string? Rack { get; } = rack;

    public string Address => $"dn{Id}:9866";

    /// <summary>Block id to replica: what the store holds (finalized and rbw), kept across restarts.</summary>
    public SortedDictionary<ulong, DiskReplica> Disk { get; } = [];

    // --- the process; everything below is lost when it dies ---
    public bool Up { get; private set; }

    public int Boot { get; private set; }

    public string BootId => $"n{Id}-boot{Boot}";

    /// <summary>The store's delta channel: changes not yet drained into <see cref="Unsent"/>.</summary>
    public List<ReplicaChangeReport> Deltas { get; } = [];

    public List<ReplicaChangeReport> Unsent { get; } = [];

    public int? LastLeader { get; private set; }

    public bool FullWanted { get; private set; } = true;

    public long Sequence { get; private set; }

    /// <summary>The leader as the node's own consensus loop knows it (null until learned), and the term it knows it in.</summary>
    public int? KnownLeader { get; set; }

    public ulong KnownTerm { get; set; }

    public HashSet<(ulong Id, ulong Stamp, string Target)> Copying { get; } = [];

    /// <summary>A heartbeat is awaiting its answer (the loop is sequential: the next one waits).</summary>
    public bool InFlight { get; set; }

    /// <summary>A tick, delta or nudge arrived while a heartbeat was in flight: the loop beats again at once after it.</summary>
    public bool WakePending { get; set; }

    public long PartitionedUntil { get; set; } = long.MinValue;

    /// <summary>The current process's incarnation, taken at start as DataNodeService takes it (kept on the disk, so it survives restarts).</summary>
    public long Incarnation { get; private set; }

    public void Start(long now)
    {
        Up = true;
        Incarnation = DataNodeIncarnation.Advance(Incarnation, now);
        Boot++;
        Sequence = 0;
        Deltas.Clear();
        Unsent.Clear();
        LastLeader = null;
        FullWanted = true;
        KnownLeader = null;
        KnownTerm = 0;
        Copying.Clear();
        InFlight = false;
        WakePending = false;
    }

    /// <summary>The process dies: writes into its store stop where they are and stay as rbw leftovers.</summary>
    public void Kill()
    {
        Up = false;
        foreach (var replica in Disk.Values)
        {
            replica.Writer = null;
        }
    }

    public void Emit(string change, ulong block, DiskReplica replica)
    {
        if (Up)
        {
            Deltas.Add(new ReplicaChangeReport(change, block, replica.Stamp, replica.Length));
        }
    }

    /// <summary>
    /// The first half of <c>DataNodeService.HeartbeatAsync</c>: drains the deltas, then builds the request (a full
    /// report when one is wanted or the leader changed). Null when no leader is known (nothing is sent).
    /// </summary>
    public HeartbeatRequest? BuildHeartbeat()
    {
        Unsent.AddRange(Deltas);
        Deltas.Clear();
        if (KnownLeader is not { } leader)
        {
            return null;
        }
        bool sendFull = FullWanted || leader != LastLeader;
        var full = sendFull ? Disk.Select(r => new ReplicaReport(r.Key, r.Value.Stamp, r.Value.Length, r.Value.Finalized ? "finalized" : "being-written")).ToArray() : null;
        long used = Disk.Values.Sum(r => r.Length);
        return new HeartbeatRequest(Id, Address, Rack, Capacity, Math.Max(0, Capacity - used), used, Copying.Count,
            sendFull ? [] : [.. Unsent], full, 0, BootId, ++Sequence, Incarnation, KnownTerm);
    }

    /// <summary>The second half: a successful answer from <paramref name="leader"/> clears the unsent changes.</summary>
    public void Answered(int leader, HeartbeatResponse response)
    {
        Unsent.Clear();
        LastLeader = leader;
        FullWanted = response.FullReportWanted;
    }

    /// <summary>What the store's delete does with a delete command: removes that stamp or older, finalized or rbw.</summary>
    public DiskReplica? Delete(ulong block, ulong stamp)
    {
        if (Disk.TryGetValue(block, out var replica) && replica.Stamp <= stamp)
        {
            Disk.Remove(block);
            Emit("deleted", block, replica);
            return replica;
        }
        return null;
    }

    /// <summary>
    /// The store's CreateAsync for a copy or pipeline: false when a replica of this or a newer stamp is here (other than
    /// an rbw leftover of this very version); an older finalized one is deleted (reported), an older rbw one replaced.
    /// </summary>
    public bool Create(ulong block, ulong stamp, long writer)
    {
        if (Disk.TryGetValue(block, out var existing))
        {
            bool leftover = existing.Stamp == stamp && !existing.Finalized && existing.Writer is null;
            if (existing.Stamp >= stamp && !leftover)
            {
                return false;
            }
            Disk.Remove(block);
            if (existing.Finalized)
            {
                Emit("deleted", block, existing);
            }
        }
        Disk[block] = new DiskReplica(stamp, 0, false, writer);
        return true;
    }

    /// <summary>Finalizes the write <paramref name="writer"/> if its replica is still its own. Returns whether it did.</summary>
    public bool Finalize(ulong block, long writer, long length)
    {
        if (Disk.TryGetValue(block, out var replica) && replica.Writer == writer && !replica.Finalized)
        {
            replica.Writer = null;
            replica.Length = length;
            replica.Finalized = true;
            Emit("received", block, replica);
            return true;
        }
        return false;
    }

    /// <summary>A write that broke off: its partial replica is deleted (no report: rbw replicas are never reported incrementally).</summary>
    public void Discard(ulong block, long writer)
    {
        if (Disk.TryGetValue(block, out var replica) && replica.Writer == writer)
        {
            Disk.Remove(block);
        }
    }

    /// <summary>A pipeline write cut off: the partial replica stays in rbw with no writer, for a recovery to resume.</summary>
    public void Detach(ulong block, long writer)
    {
        if (Disk.TryGetValue(block, out var replica) && replica.Writer == writer)
        {
            replica.Writer = null;
        }
    }

    public bool Reachable(long now) => Up && now >= PartitionedUntil;
}
