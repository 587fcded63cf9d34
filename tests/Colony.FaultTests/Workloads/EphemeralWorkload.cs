using System.Diagnostics;
using System.Globalization;
using System.Net;
using Colony.Client;
using Colony.Coordination;
using Colony.FaultTests.Bed;
using Colony.FaultTests.Campaigns;

namespace Colony.FaultTests.Workloads;

/// <summary>How the ephemerals workload runs.</summary>
public sealed record EphemeralWorkloadOptions
{
    /// <summary>Clients, each opening one session after another.</summary>
    public int Owners { get; init; } = 3;

    public int EphemeralsPerSession { get; init; } = 2;

    public int Seed { get; init; }

    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(4);

    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Between an owner's reads of its nodes, and between the observer's listings.</summary>
    public TimeSpan Pace { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long, after the heal and the last session's end, every node may take to drop every ephemeral.</summary>
    public TimeSpan ExpiryBound { get; init; } = TimeSpan.FromSeconds(60);

    public string Root { get; init; } = "/ephemerals";
}

/// <summary>
/// Sessions come and go: each creates a few ephemerals, reads them back a few times, then either
/// closes or vanishes (its connection goes through a <see cref="TcpRelay"/> that is cut, so the
/// servers must expire it). An observer lists the parent (sync first) throughout. After the heal,
/// every session has ended, so every node must come to list no ephemeral at all within a bound.
/// </summary>
public sealed class EphemeralWorkload(EphemeralWorkloadOptions options) : IFaultWorkload
{
    private readonly List<EphemeralCreate> _creates = [];
    private readonly List<EphemeralListing> _listings = [];
    private readonly List<string> _vanished = [];
    private readonly List<Task> _abandoned = [];
    private readonly Lock _gate = new();
    private long _attempted;
    private long _closed;
    private long _abandonedCount;

    public WorkloadKind Kind => WorkloadKind.Ephemerals;

    public async Task PrepareAsync(TestBed bed)
    {
        await using var client = await ZooKeeperClient.ConnectAsync(bed.ConnectString);
        await client.CreateAsync(options.Root, null, Acl.OpenUnsafe);
    }

    public async Task RunAsync(TestBed bed, CancellationToken stop)
    {
        var owners = Enumerable.Range(0, options.Owners).Select(i => Task.Run(() => OwnerAsync(i, bed, stop)));
        await Task.WhenAll([.. owners, Task.Run(() => ObserverAsync(bed.ConnectString, stop))]);
        Task[] abandoned;
        lock (_gate)
        {
            abandoned = [.. _abandoned];
        }
        await Task.WhenAll(abandoned);
    }

    public async Task<WorkloadResult> CheckAsync(TestBed bed)
    {
        List<EphemeralCreate> creates;
        List<EphemeralListing> listings;
        List<string> vanished;
        lock (_gate)
        {
            creates = [.. _creates];
            listings = [.. _listings];
            vanished = [.. _vanished];
        }
        var verdicts = new List<CheckerVerdict> { EphemeralCheck.Check(creates, listings, vanished) };
        var (clean, detail) = await EveryNodeDropsThemAsync(bed);
        verdicts.Add(new CheckerVerdict("ephemerals: gone from every node once their sessions ended", clean, detail));
        var notes = new List<string>
        {
            $"{Interlocked.Read(ref _closed)} sessions closed, {Interlocked.Read(ref _abandonedCount)} vanished and left to expire",
            detail,
        };
        return new WorkloadResult(Kind, Interlocked.Read(ref _attempted), creates.Count, vanished.Count, verdicts, notes);
    }

    private async Task OwnerAsync(int index, TestBed bed, CancellationToken stop)
    {
        var random = new Random(HashCode.Combine(options.Seed, index, "ephemerals"));
        var host = Clients.HostFor(bed.ClientHosts, index);
        while (!stop.IsCancellationRequested)
        {
            bool vanish = random.Next(2) == 0;
            var relay = vanish
                ? new TcpRelay(new IPEndPoint(IPAddress.Parse(bed.Address(bed.Nodes[random.Next(bed.Nodes.Count)])), TestBed.ZooKeeperPort), host)
                : null;
            // Through a relay the host is the relay's: the client's own socket only reaches loopback.
            var client = await Clients.TryConnectAsync(relay?.ConnectString ?? bed.ConnectString, options.SessionTimeout, stop, relay is null ? host : null);
            if (client is null)
            {
                if (relay is not null)
                {
                    await relay.DisposeAsync();
                }
                continue;
            }
            var mine = await CreateAsync(client, stop);
            int rounds = random.Next(2, 8);
            for (int round = 0; round < rounds && !stop.IsCancellationRequested && client.State is not KeeperState.Expired; round++)
            {
                await ReadBackAsync(client, mine, stop);
                await Task.Delay(options.Pace, CancellationToken.None); // pacing the load, not synchronisation
            }
            if (relay is null)
            {
                await client.CloseAsync();
                Interlocked.Increment(ref _closed);
            }
            else
            {
                relay.Cut();
                Interlocked.Increment(ref _abandonedCount);
                // Closing now only stops the client: the relay lets no goodbye through.
                lock (_gate)
                {
                    _abandoned.Add(Task.Run(async () =>
                    {
                        await client.CloseAsync();
                        await relay.DisposeAsync();
                    }));
                }
            }
        }
    }

    private async Task<List<string>> CreateAsync(ZooKeeperClient client, CancellationToken stop)
    {
        var mine = new List<string>();
        for (int n = 1; n <= options.EphemeralsPerSession; n++)
        {
            string path = $"{options.Root}/{client.SessionId:x16}-{n}";
            Interlocked.Increment(ref _attempted);
            long call = Stopwatch.GetTimestamp();
            try
            {
                await client.CreateAsync(path, null, Acl.OpenUnsafe, CreateMode.Ephemeral).WaitAsync(options.OperationTimeout, stop);
                lock (_gate)
                {
                    _creates.Add(new EphemeralCreate(client.SessionId, path, call, Stopwatch.GetTimestamp()));
                }
                mine.Add(path);
            }
            catch (Exception e) when (Clients.IsFault(e))
            {
                // Unknown: the node may exist. The final check covers it, as every session ends.
            }
        }
        return mine;
    }

    /// <summary>The owner reads its own nodes: a session that answers must still have them.</summary>
    private async Task ReadBackAsync(ZooKeeperClient client, List<string> mine, CancellationToken stop)
    {
        foreach (var path in mine)
        {
            try
            {
                if (await client.ExistsAsync(path).WaitAsync(options.OperationTimeout, stop) is null)
                {
                    lock (_gate)
                    {
                        _vanished.Add(path);
                    }
                }
            }
            catch (Exception e) when (Clients.IsFault(e))
            {
                return;
            }
        }
    }

    private async Task ObserverAsync(string connectString, CancellationToken stop)
    {
        ZooKeeperClient? client = null;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                if (client is null || client.State is KeeperState.Expired or KeeperState.Closed)
                {
                    if (client is not null)
                    {
                        await client.DisposeAsync();
                    }
                    client = await Clients.TryConnectAsync(connectString, options.SessionTimeout, stop);
                    continue;
                }
                long call = Stopwatch.GetTimestamp();
                try
                {
                    var children = await ListAsync(client).WaitAsync(options.OperationTimeout, stop);
                    lock (_gate)
                    {
                        _listings.Add(new EphemeralListing(call, Stopwatch.GetTimestamp(), children));
                    }
                }
                catch (Exception e) when (Clients.IsFault(e))
                {
                    // A listing that failed saw nothing.
                }
                await Task.Delay(options.Pace, CancellationToken.None); // pacing the load, not synchronisation
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

    private async Task<IReadOnlySet<string>> ListAsync(ZooKeeperClient client)
    {
        await client.SyncAsync(options.Root);
        var children = await client.GetChildrenAsync(options.Root);
        return children.Select(c => $"{options.Root}/{c}").ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// Every session has ended by now (closed, or vanished and left to expire): each node, read with
    /// sync first, must come to list no ephemeral within the bound.
    /// </summary>
    private async Task<(bool Clean, string Detail)> EveryNodeDropsThemAsync(TestBed bed)
    {
        var clock = Stopwatch.StartNew();
        var left = new Dictionary<int, int>();
        foreach (var node in bed.Nodes)
        {
            left[node] = -1;
            while (clock.Elapsed < options.ExpiryBound)
            {
                try
                {
                    await using var client = await ZooKeeperClient.ConnectAsync(bed.ZooKeeperAddress(node),
                        new ZooKeeperClientOptions { ConnectTimeout = TimeSpan.FromSeconds(5) });
                    left[node] = (await ListAsync(client).WaitAsync(TimeSpan.FromSeconds(5))).Count;
                }
                catch (Exception e) when (Clients.IsFault(e))
                {
                }
                if (left[node] == 0)
                {
                    break;
                }
                await Task.Delay(250); // waiting for the servers to expire the vanished sessions
            }
        }
        bool clean = left.Values.All(n => n == 0);
        string seconds = clock.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
        return (clean, clean
            ? $"every node listed no ephemeral {seconds} s after the workload stopped"
            : $"after {seconds} s, ephemerals still listed: {string.Join(", ", left.Select(l => $"node {l.Key}: {(l.Value < 0 ? "unreachable" : l.Value.ToString(CultureInfo.InvariantCulture))}"))}");
    }
}
