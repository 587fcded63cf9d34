using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Colony.Client.Blocks;
using Colony.Core;
using Colony.Node.Blocks;
using Colony.Node.Hosting;
using Colony.Storage.Blocks.Transfer;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Colony.Node.FileSystem;

/// <summary>
/// The data node role, on when <see cref="NodeOptions.DataTransfer"/> is set: holds replicas under
/// <c>DataDir/blocks</c>, serves the block transfer port, scrubs, and every second tells the leader how it is
/// and what changed on its disk, and carries out the copies and deletes the leader answers with.
/// </summary>
public sealed partial class DataNodeService(
    NodeOptions options, FileSystemOptions fsOptions, ReplicaLoop loop, TimeProvider time, ILoggerFactory loggers, Colony.Node.Diagnostics.FaultHooks? hooks = null) : BackgroundService
{
    public const string HeartbeatPath = "/internal/storage/heartbeat";

    /// <summary>The leader posts here (cluster token) when it has queued work for this node: heartbeat now.</summary>
    public const string NudgePath = "/internal/storage/nudge";

    // Set by a nudge, taken by the heartbeat loop: at most one extra heartbeat however many nudges arrive.
    private readonly SemaphoreSlim _nudged = new(0, 1);

    /// <summary>Changes kept for a leader that does not answer; past this, they are dropped and a full report sent instead.</summary>
    private const int MaxUnsentChanges = 1_000_000;

    private readonly ILogger _logger = loggers.CreateLogger<DataNodeService>();
    private readonly List<ReplicaChangeReport> _unsent = [];
    private readonly ConcurrentDictionary<(BlockVersion, string), byte> _copying = new();
    private BlockStore? _store;
    private BlockTransferServer? _server;
    private BlockReplicator? _replicator;
    private string? _lastLeader;
    private bool _fullWanted = true;

    // This process's identity and heartbeat count: the leader tells a restart, and a late heartbeat, by them.
    private readonly string _bootId = Guid.NewGuid().ToString("N");
    private long _incarnation; // taken at start, from the data directory (DataNodeIncarnation)
    private long _sequence;

    /// <summary>Asks for a heartbeat now rather than at the next beat: the leader has work queued for this node.</summary>
    public void Nudge()
    {
        try
        {
            _nudged.Release();
        }
        catch (SemaphoreFullException)
        {
            // A heartbeat is already due.
        }
    }

    /// <summary>This node's block store, once started; null on a node that stores no blocks.</summary>
    public BlockStore? Store => _store;

    /// <summary>The transfer server's byte counters, once started; null on a node that stores no blocks.</summary>
    public Colony.Node.Diagnostics.BlockTransferCounters? Transfers => _server?.Counters;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.DataTransfer is { Length: > 0 } address)
        {
            // Opened before the host reports started, so the transfer port is bound by then.
            _store = BlockStore.Open(StoreOptions(options, hooks), loggers.CreateLogger<BlockStore>());
            _incarnation = DataNodeIncarnation.Next(options.DataDir, time);
            var tokens = new BlockTokens(options.LoadSecret(), TimeSpan.FromMilliseconds(fsOptions.BlockTokenLifetimeMs), time);
            _server = BlockTransferServer.Start(_store, IPEndPoint.Parse(address), tokens,
                new BlockTransferOptions { MaxConnectionsPerIp = fsOptions.MaxTransferConnectionsPerIp, Tls = loop.Tls.Peers }, loggers);
            string self = $"node-{options.NodeId}";
            var client = new BlockTransferClient(new BlockTransferOptions { ClientName = self, Tls = loop.Tls.Peers });
            _replicator = new BlockReplicator(_store, client, options.ReplicationBytesPerSecond, time, version => tokens.Mint(version, BlockAccessMode.Copy, self));
        }
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The block store's options for this node; with the fault hooks, its fsyncs wait for their delay as the log's do.</summary>
    internal static BlockStoreOptions StoreOptions(NodeOptions options, Colony.Node.Diagnostics.FaultHooks? hooks) => new()
    {
        Directory = options.DataDir, // the store keeps its files under DataDir/blocks
        ReserveBytes = options.BlockReserveBytes,
        CapacityBytes = options.BlockCapacityBytes,
        BeforeSync = hooks is null ? null : hooks.DelaySync,
    };

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }
        _store?.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_store is not { } store)
        {
            return;
        }
        var scrubberOptions = new ScrubberOptions
        {
            BytesPerSecond = fsOptions.ScrubBytesPerSecond,
            PauseBetweenPasses = TimeSpan.FromMilliseconds(fsOptions.ScrubPauseMs),
        };
        var scrubber = new BlockScrubber(store, scrubberOptions, time, loggers.CreateLogger<BlockScrubber>());
        scrubber.CorruptReplicaFound += found => LogCorrupt(_logger, found.Version.ToString(), found.Reason);
        var scrubbing = Task.Run(() => scrubber.RunAsync(stoppingToken), stoppingToken);
        using var http = loop.Tls.CreateHttpClient(TimeSpan.FromSeconds(5));
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Convert.ToBase64String(options.LoadSecret()));
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        try
        {
            // Every second; at once when a replica is finalized or deleted (a client that just closed a file should
            // find its blocks located, not wait for the next beat); and at once when the leader nudges (it has queued
            // a copy or a delete for this node, e.g. to repair a block whose replica just died).
            var tick = timer.WaitForNextTickAsync(stoppingToken).AsTask();
            var changed = store.Deltas.WaitToReadAsync(stoppingToken).AsTask();
            var nudged = _nudged.WaitAsync(stoppingToken);
            while (true)
            {
                await HeartbeatAsync(store, http, stoppingToken).ConfigureAwait(false);
                var woke = await Task.WhenAny(tick, changed, nudged).ConfigureAwait(false);
                if (woke == tick)
                {
                    if (!await tick.ConfigureAwait(false))
                    {
                        break;
                    }
                    tick = timer.WaitForNextTickAsync(stoppingToken).AsTask();
                }
                else if (woke == changed)
                {
                    await changed.ConfigureAwait(false);
                    changed = store.Deltas.WaitToReadAsync(stoppingToken).AsTask();
                }
                else
                {
                    await nudged.ConfigureAwait(false);
                    nudged = _nudged.WaitAsync(stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        await scrubbing.ConfigureAwait(false);
    }

    private async Task HeartbeatAsync(BlockStore store, HttpClient http, CancellationToken cancellationToken)
    {
        // The channel is unbounded: drain it every time, whether or not a leader is there to hear.
        while (store.Deltas.TryRead(out var delta))
        {
            _unsent.Add(new ReplicaChangeReport(ChangeName(delta.Change), delta.Version.Id.Value, delta.Version.Stamp.Value, delta.Length));
        }
        if (_unsent.Count > MaxUnsentChanges)
        {
            _unsent.Clear();
            _fullWanted = true;
        }
        if (loop.LeaderHttp is not { } leader)
        {
            return;
        }
        ulong term = loop.Status.Term; // read after the leader, so never older than the term that leader was known in
        bool sendFull = _fullWanted || leader != _lastLeader;
        // Taken after draining, so a change is in the report, the changes sent with it, or the next batch.
        var full = sendFull ? store.Report().Select(r => new ReplicaReport(r.Version.Id.Value, r.Version.Stamp.Value, r.Length, StateName(r.State))).ToArray() : null;
        var capacity = store.Capacity();
        var request = new HeartbeatRequest(options.NodeId, options.DataTransfer!, options.Rack, capacity.TotalBytes,
            Math.Max(0, capacity.FreeBytes - options.BlockReserveBytes - capacity.ReservedForWrites), capacity.UsedBytes,
            capacity.TransfersInFlight, sendFull ? [] : [.. _unsent], full, store.DiskFullWrites, _bootId, ++_sequence, _incarnation, term);
        HeartbeatResponse? response;
        try
        {
            using var answer = await http.PostAsJsonAsync(new Uri(new Uri(leader), HeartbeatPath), request, StorageJson.Default.HeartbeatRequest, cancellationToken).ConfigureAwait(false);
            if (!answer.IsSuccessStatusCode)
            {
                LogHeartbeatRefused(_logger, leader, (int)answer.StatusCode);
                return;
            }
            response = await answer.Content.ReadFromJsonAsync(StorageJson.Default.HeartbeatResponse, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (PeerHttpFailure.IsNoAnswer(e) && !cancellationToken.IsCancellationRequested)
        {
            LogHeartbeatFailed(_logger, leader, e.Message);
            return;
        }
        _unsent.Clear();
        _lastLeader = leader;
        _fullWanted = response?.FullReportWanted ?? false;
        if (response is not null)
        {
            Carry(store, response, cancellationToken);
        }
    }

    private void Carry(BlockStore store, HeartbeatResponse response, CancellationToken cancellationToken)
    {
        if (response.Deletes.Count > 0)
        {
            store.DeleteBlocks(response.Deletes.Select(d => Version(d.Id, d.Stamp)));
        }
        foreach (var copy in response.Copies)
        {
            var version = Version(copy.Id, copy.Stamp);
            if (_copying.TryAdd((version, copy.Target), 0))
            {
                _ = CopyAsync(version, copy.Target, cancellationToken);
            }
        }
    }

    private async Task CopyAsync(BlockVersion version, string target, CancellationToken cancellationToken)
    {
        try
        {
            long bytes = await _replicator!.CopyAsync(version, target, cancellationToken).ConfigureAwait(false);
            LogCopied(_logger, version.ToString(), target, bytes);
        }
        catch (Exception e) when (e is IOException or BlockStoreException or OperationCanceledException or System.Net.Sockets.SocketException)
        {
            // The leader plans it again if the copy never shows up in a report.
            LogCopyFailed(_logger, version.ToString(), target, e.Message);
        }
        finally
        {
            _copying.TryRemove((version, target), out _);
        }
    }

    private static BlockVersion Version(ulong id, ulong stamp) => new(new BlockId(id), new GenerationStamp(stamp));

    private static string ChangeName(ReplicaChange change) => change switch
    {
        ReplicaChange.Received => ReplicaStates.Received,
        ReplicaChange.Deleted => ReplicaStates.Deleted,
        _ => ReplicaStates.Corrupt,
    };

    private static string StateName(ReplicaState state) => state switch
    {
        ReplicaState.Finalized => ReplicaStates.Finalized,
        ReplicaState.BeingWritten => ReplicaStates.BeingWritten,
        _ => ReplicaStates.Corrupt,
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "scrubber found replica {Version} corrupt: {Reason}")]
    private static partial void LogCorrupt(ILogger logger, string version, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "heartbeat to {Leader} failed: {Reason}")]
    private static partial void LogHeartbeatFailed(ILogger logger, string leader, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "heartbeat to {Leader} refused with HTTP {Status}")]
    private static partial void LogHeartbeatRefused(ILogger logger, string leader, int status);

    [LoggerMessage(Level = LogLevel.Information, Message = "copied block {Version} to {Target} ({Bytes} bytes)")]
    private static partial void LogCopied(ILogger logger, string version, string target, long bytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "copy of block {Version} to {Target} failed: {Reason}")]
    private static partial void LogCopyFailed(ILogger logger, string version, string target, string reason);
}
