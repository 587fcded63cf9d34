using System.Diagnostics;
using Colony.Client;
using Colony.Client.Recipes;
using Colony.Coordination;
using Colony.FaultTests.Bed;

namespace Colony.FaultTests.Workloads;

/// <summary>How the locks workload runs.</summary>
public sealed record LockWorkloadOptions
{
    /// <summary>One per client host of a campaign's bed, so every side of a partition has a contender.</summary>
    public int Clients { get; init; } = 5;

    public string Path { get; init; } = "/locks/fenced";

    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(4);

    public TimeSpan AcquireTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Writes each holder makes to the resource, <see cref="Pace"/> apart.</summary>
    public int WritesPerHold { get; init; } = 3;

    public TimeSpan Pace { get; init; } = TimeSpan.FromMilliseconds(30);

    /// <summary>
    /// Every this many holds, one is slow: the holder keeps writing for <see cref="SlowHold"/>, longer
    /// than its session, as a holder in a long pause would. A partition that cuts it off with a
    /// minority then ends its session under it, and its later writes must meet the fence.
    /// </summary>
    public int SlowHoldEvery { get; init; } = 25;

    public TimeSpan SlowHold { get; init; } = TimeSpan.FromSeconds(6);
}

/// <summary>
/// Clients take the exclusive lock (<see cref="DistributedLock"/>) and, holding it, write a few
/// times to a <see cref="FencedResource"/> with the lock's fencing token. They write without first
/// asking whether they still hold it, as a holder in a long pause would: the fence, not their care,
/// must keep a stale holder out.
/// </summary>
public sealed class LockWorkload(LockWorkloadOptions options) : IFaultWorkload
{
    private readonly List<LockHold> _holds = [];
    private readonly Lock _gate = new();
    private long _attempted;
    private int _nextHold;

    public WorkloadKind Kind => WorkloadKind.Locks;

    public FencedResource Resource { get; } = new();

    public IReadOnlyList<LockHold> Holds()
    {
        lock (_gate)
        {
            return [.. _holds];
        }
    }

    public Task PrepareAsync(TestBed bed) => Task.CompletedTask; // the recipe makes its own path

    public Task RunAsync(TestBed bed, CancellationToken stop) =>
        Task.WhenAll(Enumerable.Range(0, options.Clients).Select(i => Task.Run(() => ClientAsync(i, bed.ConnectString, Clients.HostFor(bed.ClientHosts, i), stop))));

    public Task<WorkloadResult> CheckAsync(TestBed bed)
    {
        var holds = Holds();
        var log = Resource.Log();
        var notes = new List<string>
        {
            $"{log.Count(w => !w.Accepted)} writes of stale holders turned away by the fence",
            $"{holds.Count(h => h.LostWhileHeld)} holds lost while held (session ended under the holder)",
            $"{LockCheck.Overlaps(holds)} overlaps in real time between consecutive holds",
        };
        return Task.FromResult(new WorkloadResult(Kind, Interlocked.Read(ref _attempted), holds.Count,
            LockCheck.StaleAccepted(log), LockCheck.Check(holds, log), notes));
    }

    private async Task ClientAsync(int index, string connectString, ClientHost? host, CancellationToken stop)
    {
        ZooKeeperClient? client = null;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                if (client is null || client.State is KeeperState.Expired or KeeperState.Closed or KeeperState.AuthFailed)
                {
                    if (client is not null)
                    {
                        await client.DisposeAsync();
                    }
                    client = await Clients.TryConnectAsync(connectString, options.SessionTimeout, stop, host);
                    continue;
                }
                await HoldOnceAsync(client, index, stop);
            }
        }
        finally
        {
            if (client is not null)
            {
                await client.DisposeAsync();
            }
        }
    }

    private async Task HoldOnceAsync(ZooKeeperClient client, int index, CancellationToken stop)
    {
        Interlocked.Increment(ref _attempted);
        long call = Stopwatch.GetTimestamp();
        LockHandle handle;
        try
        {
            handle = await new DistributedLock(client, options.Path, $"client-{index}").AcquireAsync(options.AcquireTimeout, stop);
        }
        catch (Exception e) when (Clients.IsFault(e))
        {
            return;
        }
        long granted = Stopwatch.GetTimestamp();
        int hold = Interlocked.Increment(ref _nextHold);
        int writes = hold % options.SlowHoldEvery == 0 ? (int)(options.SlowHold / options.Pace) : options.WritesPerHold;
        for (int i = 0; i < writes; i++)
        {
            Resource.Write(hold, handle.FencingToken);
            await Task.Delay(options.Pace, CancellationToken.None); // the holder's work, not synchronisation
        }
        bool lost = handle.IsLost;
        long released = Stopwatch.GetTimestamp();
        try
        {
            await handle.ReleaseAsync().WaitAsync(options.AcquireTimeout, CancellationToken.None);
        }
        catch (Exception e) when (Clients.IsFault(e))
        {
            // The session's end removes the node if the delete did not.
        }
        lock (_gate)
        {
            _holds.Add(new LockHold(hold, client.SessionId, handle.FencingToken, call, granted, released, lost));
        }
    }
}
