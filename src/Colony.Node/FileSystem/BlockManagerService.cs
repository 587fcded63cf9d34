using System.Net.Http.Headers;
using Colony.Node.Hosting;
using Colony.Storage.Namespace;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Colony.Node.FileSystem;

/// <summary>
/// Drives the <see cref="BlockManager"/> on the leader: follows leadership (a new leader starts from
/// empty and asks for full reports), plans repair every second, sends deletes for blocks the namespace
/// frees, closes files whose writers went silent past the lease's hard limit, empties expired trash, and
/// runs the balancer (<see cref="BlockManager.Balance"/>).
/// </summary>
public sealed partial class BlockManagerService : BackgroundService
{
    private readonly BlockManager _manager;
    private readonly NamespaceService _namespace;
    private readonly ReplicaLoop _loop;
    private readonly NodeOptions _options;
    private readonly FileSystemOptions _fsOptions;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private int _unrepairable;
    private long _nextTrashCheck;

    public BlockManagerService(BlockManager manager, NamespaceService service, ReplicaLoop loop, NodeOptions options, FileSystemOptions fsOptions, TimeProvider time, ILogger<BlockManagerService> logger)
    {
        _manager = manager;
        _namespace = service;
        _loop = loop;
        _options = options;
        _fsOptions = fsOptions;
        _time = time;
        _logger = logger;
        // On the loop's thread under the namespace gate; the manager's lock comes after the gate, as everywhere.
        loop.Namespace.Applied += (_, command, result) =>
        {
            if (result.IsOk && result.FreedBlocks.Count > 0)
            {
                manager.Freed(result.FreedBlocks);
            }
            if (result.IsOk && command is NamespaceCommand.SetDecommissioning)
            {
                manager.SyncDecommissioning(loop.Namespace.Tree.Decommissioning);
            }
        };
    }

    private long Now => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>The block manager's clock (<see cref="ManagerClock"/>), not the wall clock of leases and trash.</summary>
    private long ManagerNow => _time.MonotonicMs();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(_fsOptions.RepairIntervalMs), _time);
        using var http = _loop.Tls.CreateHttpClient(TimeSpan.FromSeconds(2));
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Convert.ToBase64String(_options.LoadSecret()));
        try
        {
            var tick = timer.WaitForNextTickAsync(stoppingToken).AsTask();
            while (true)
            {
                // Plan every interval, and also the moment a data node's silence makes it dead, so its blocks'
                // copies are planned then rather than up to an interval later.
                if (await WaitForDeathOrTickAsync(tick, stoppingToken).ConfigureAwait(false))
                {
                    if (!await tick.ConfigureAwait(false))
                    {
                        break;
                    }
                    tick = timer.WaitForNextTickAsync(stoppingToken).AsTask();
                }
                await TickAsync().ConfigureAwait(false);
                Nudge(http, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>True when the tick came first; false when the next data node's death is due first.</summary>
    private async Task<bool> WaitForDeathOrTickAsync(Task<bool> tick, CancellationToken stoppingToken)
    {
        long now = ManagerNow;
        if (_manager.NextDeathAt(now) is not { } death || death - now >= _fsOptions.RepairIntervalMs)
        {
            await tick.ConfigureAwait(false);
            return true;
        }
        using var early = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        // A millisecond past the instant, so that the node is dead by then on the manager's clock.
        var due = Task.Delay(TimeSpan.FromMilliseconds(death - now + 1), _time, early.Token);
        bool ticked = await Task.WhenAny(tick, due).ConfigureAwait(false) == tick;
        await early.CancelAsync().ConfigureAwait(false);
        stoppingToken.ThrowIfCancellationRequested();
        return ticked;
    }

    /// <summary>
    /// Tells the data nodes given work this tick to heartbeat now and collect it. Fire and forget: a node that does
    /// not answer gets its work with its next beat, as before.
    /// </summary>
    private void Nudge(HttpClient http, CancellationToken stoppingToken)
    {
        foreach (var node in _manager.TakeNewWork())
        {
            if (_loop.MemberHttp.TryGetValue(node.Value, out var address))
            {
                _ = NudgeAsync(http, address, stoppingToken);
            }
        }
    }

    private static async Task NudgeAsync(HttpClient http, string address, CancellationToken stoppingToken)
    {
        try
        {
            using var answer = await http.PostAsync(new Uri(new Uri(address), DataNodeService.NudgePath), null, stoppingToken).ConfigureAwait(false);
        }
        catch (Exception e) when (PeerHttpFailure.IsNoAnswer(e) || e is ObjectDisposedException)
        {
            // Unreachable or slow, or the service stopping under it: the node's own beat carries the work.
        }
    }

    private async Task TickAsync()
    {
        var status = _loop.Status; // one snapshot: the role and the term it was taken in
        bool leading = status.Role == "leader";
        ulong term = status.Term;
        // A lead lost and won back between two ticks is a new term too: other leaders took reports meanwhile, so the map
        // starts afresh, and requests sent for the earlier term are refused from then on.
        if (leading != _manager.IsActive || (leading && term != _manager.Term))
        {
            if (leading)
            {
                _manager.BecomeLeader(ManagerNow, term);
                _nextTrashCheck = Now + _fsOptions.TrashCheckIntervalMs;
            }
            else
            {
                _manager.StepDown();
            }
        }
        if (!leading)
        {
            return;
        }
        long now = Now;
        long managerNow = ManagerNow;
        var plan = _namespace.Read(tree =>
        {
            // The drain list is replicated; the manager mirrors it (a new leader picks it up here, on its first tick).
            _manager.SyncDecommissioning(tree.Decommissioning);
            return _manager.Plan(tree, managerNow);
        });
        var pass = _namespace.Read(tree => _manager.Balance(tree, managerNow, _fsOptions.BalancerThresholdPercent / 100,
            _fsOptions.BalancerMaxMoves, planNew: _fsOptions.BalancerEnabled));
        if (pass is { Started.Count: > 0 })
        {
            LogBalancing(_logger, pass.Started.Count, pass.Spread * 100);
        }
        if (plan is not null)
        {
            // Every replica the planner decides to remove is named, with why: the trail an operator follows when a block runs short.
            foreach (var delete in plan.Work.OfType<Colony.Storage.Replication.WorkItem.Delete>())
            {
                LogPlannedDelete(_logger, delete.Block.ToString(), delete.Node.Value, delete.Reason);
            }
            if (plan.Unrepairable.Count != _unrepairable)
            {
                _unrepairable = plan.Unrepairable.Count;
                LogUnrepairable(_logger, _unrepairable, string.Join(", ", plan.Unrepairable.Take(5)));
            }
        }
        foreach (var path in _namespace.Read(tree => tree.ExpiredLeases(now - _options.LeaseHardLimitMs)))
        {
            try
            {
                var result = await _namespace.ExecuteAsync(new NamespaceCommand.RecoverLease(path.Value, _namespace.Now)).ConfigureAwait(false);
                LogLeaseRecovered(_logger, path.Value, result.ToString());
            }
            catch (Exception e) when (e is NotLeaderException or TimeoutException or InvalidOperationException)
            {
                return; // leadership moved on; the next leader recovers it
            }
        }
        if (now >= _nextTrashCheck)
        {
            _nextTrashCheck = now + _fsOptions.TrashCheckIntervalMs;
            await ExpireTrashAsync(now).ConfigureAwait(false);
        }
    }

    private async Task ExpireTrashAsync(long now)
    {
        long before = now - _fsOptions.TrashExpiryMs;
        // Proposed only when something is due, so an idle cluster's log does not grow by a command a minute.
        if (!_namespace.Read(tree => tree.HasTrashBefore(before)))
        {
            return;
        }
        try
        {
            var result = await _namespace.ExecuteAsync(new NamespaceCommand.ExpireTrash(before)).ConfigureAwait(false);
            LogTrashExpired(_logger, result.FreedBlocks.Count);
        }
        catch (Exception e) when (e is NotLeaderException or TimeoutException or InvalidOperationException)
        {
            // The next leader expires it.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "balancer: {Moves} blocks moving, disk use spread {Spread:0.0} points")]
    private static partial void LogBalancing(ILogger logger, int moves, double spread);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} blocks have no readable replica (first ones: {Blocks})")]
    private static partial void LogUnrepairable(ILogger logger, int count, string blocks);

    [LoggerMessage(Level = LogLevel.Information, Message = "deleting replica {Block} on node {Node}: {Reason}")]
    private static partial void LogPlannedDelete(ILogger logger, string block, ulong node, Colony.Storage.Replication.DeleteReason reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "expired trash: {Blocks} blocks freed")]
    private static partial void LogTrashExpired(ILogger logger, int blocks);

    [LoggerMessage(Level = LogLevel.Warning, Message = "writer of {Path} went silent; closed it: {Result}")]
    private static partial void LogLeaseRecovered(ILogger logger, string path, string result);
}
