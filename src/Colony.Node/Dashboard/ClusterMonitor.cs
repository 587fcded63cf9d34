using System.Net.Http.Json;
using Colony.Compute.Jobs;
using Colony.Node.Compute;
using Colony.Node.FileSystem;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Colony.Node.Hosting;

namespace Colony.Node.Dashboard;

/// <summary>
/// Asks every member for its summary once a second, so that any node can draw the whole cluster: the
/// overview, per-node coordination load, and who is dead. A member that has not answered for
/// <see cref="DeadAfter"/> is shown dead; before it first answers it is unknown, until that long has
/// passed since this node started watching. It also keeps the leader's latest block health, for the
/// overview's block counts and storage alerts.
/// </summary>
internal sealed partial class ClusterMonitor : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>Silence after which a node is declared dead on the dashboard.</summary>
    public static readonly TimeSpan DeadAfter = TimeSpan.FromSeconds(3);

    private readonly NodeSelf _self;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly HttpClient _http;
    private readonly Lock _gate = new();
    private readonly Dictionary<ulong, Observation> _observed = [];
    private readonly DateTimeOffset _watchingSince;
    private readonly JobsService _jobs;
    private StorageHealthView? _storage;
    private Task _refreshing = Task.CompletedTask;

    public ClusterMonitor(NodeSelf self, NamespaceService files, BlockManager blocks, JobsService jobs, TimeProvider time, ILogger<ClusterMonitor> logger)
    {
        _self = self;
        _time = time;
        _logger = logger;
        _jobs = jobs;
        _watchingSince = time.GetUtcNow();
        _http = self.Loop.Tls.CreateHttpClient(TimeSpan.FromMilliseconds(900));
        Storage = new StorageHealthSource(files, blocks, self.Loop, time);
    }

    /// <summary>Where the block health comes from (the leader's block map).</summary>
    public StorageHealthSource Storage { get; }

    /// <summary>The block health as of the last round of polls; null when the leader could not say.</summary>
    public StorageHealthView? LatestStorage => Volatile.Read(ref _storage);

    /// <summary>The overview as of the last round of polls (this node's own line is fresh).</summary>
    public ClusterView Snapshot()
    {
        var now = _time.GetUtcNow();
        var status = _self.Loop.Status;
        var members = _self.Loop.MemberHttp;
        var voters = status.Voters.ToHashSet();
        var nodes = new List<ClusterNodeView>();
        foreach (ulong id in members.Keys.Union(status.Voters).Union(status.Learners).Order())
        {
            string http = members.GetValueOrDefault(id, "");
            if (id == _self.Id)
            {
                var mine = _self.Summary();
                double rate;
                lock (_gate)
                {
                    rate = Observe(id, mine, now).RequestsPerSecond;
                }
                nodes.Add(new ClusterNodeView(id, http, voters.Contains(id), mine.Healthy ? NodeHealth.Healthy : NodeHealth.Unhealthy, now, 0, rate, mine));
                continue;
            }
            Observation? seen;
            lock (_gate)
            {
                _observed.TryGetValue(id, out seen);
            }
            nodes.Add(Describe(id, http, voters.Contains(id), seen, now));
        }
        var storage = LatestStorage;
        var blocks = storage?.DataNodes.ToDictionary(d => d.Id, d => d.Blocks);
        var tasks = RunningTasksByNode();
        nodes = [.. nodes.Select(n => n with { Blocks = blocks?.GetValueOrDefault(n.Id), RunningTasks = tasks.GetValueOrDefault(n.Id) })];
        ulong leader = status.Leader;
        var counts = storage is { Fsck: var f } ? new BlockHealthCounts(f.UnderReplicated, f.Corrupt, f.Missing) : null;
        var alerts = AlertRules.Evaluate(nodes, leader, status.Commit, counts, RecentFailures(now));
        bool healthy = alerts.All(a => a.Severity != AlertRules.Critical);
        return new ClusterView(_self.ClusterId, _self.Id, now, leader, status.Term, status.Commit, healthy, nodes, alerts);
    }

    /// <summary>Attempts running on each node, from the replicated job state every node has.</summary>
    private Dictionary<ulong, int> RunningTasksByNode() => _jobs.Read(s => s.Jobs.Where(j => !j.IsFinished)
        .SelectMany(j => j.Tasks).SelectMany(t => t.RunningAttempts)
        .GroupBy(a => a.Node.Value).ToDictionary(g => g.Key, g => g.Count()));

    private IReadOnlyList<JobFailure> RecentFailures(DateTimeOffset now)
    {
        long since = (now - AlertRules.RecentFailure).ToUnixTimeMilliseconds();
        return _jobs.Read(s => s.Jobs.Where(j => j.State == JobState.Failed && j.FinishedAt >= since)
            .Select(j => new JobFailure(j.Id.ToString(), j.Spec.Name, j.Error, Math.Max(0, (now.ToUnixTimeMilliseconds() - j.FinishedAt!.Value) / 1000.0)))
            .ToArray());
    }

    private ClusterNodeView Describe(ulong id, string http, bool voter, Observation? seen, DateTimeOffset now)
    {
        if (seen?.Summary is not { } summary)
        {
            string health = now - _watchingSince >= DeadAfter ? NodeHealth.Dead : NodeHealth.Unknown;
            return new ClusterNodeView(id, http, voter, health, null, null, 0, null);
        }
        double silent = (now - seen.LastSeen).TotalSeconds;
        string state = silent >= DeadAfter.TotalSeconds ? NodeHealth.Dead : summary.Healthy ? NodeHealth.Healthy : NodeHealth.Unhealthy;
        return new ClusterNodeView(id, http, voter, state, seen.LastSeen, Math.Round(silent, 1), state == NodeHealth.Dead ? 0 : seen.RequestsPerSecond, summary);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, _time);
        do
        {
            var members = _self.Loop.MemberHttp.Where(m => m.Key != _self.Id && m.Value.Length > 0).ToList();
            // Apart from the polls: a slow leader must not delay them, or every node would age towards dead.
            if (_refreshing.IsCompleted)
            {
                _refreshing = RefreshStorageAsync(stoppingToken);
            }
            await Task.WhenAll(members.Select(m => PollAsync(m.Key, m.Value, stoppingToken))).ConfigureAwait(false);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private async Task PollAsync(ulong id, string http, CancellationToken cancellationToken)
    {
        try
        {
            var summary = await _http.GetFromJsonAsync(new Uri(new Uri(http), "/api/node/summary"), DashboardJson.Default.NodeSummary, cancellationToken).ConfigureAwait(false);
            if (summary is not null && summary.Id == id)
            {
                lock (_gate)
                {
                    Observe(id, summary, _time.GetUtcNow());
                }
            }
        }
        catch (Exception e) when (PeerHttpFailure.IsNoAnswer(e) || e is UriFormatException)
        {
            if (!cancellationToken.IsCancellationRequested)
            {
                LogPollFailed(id, e.Message);
            }
        }
    }

    private async Task RefreshStorageAsync(CancellationToken cancellationToken)
    {
        try
        {
            Volatile.Write(ref _storage, await Storage.GetAsync(forwarded: false, cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    // Called under _gate.
    private Observation Observe(ulong id, NodeSummary summary, DateTimeOffset now)
    {
        _observed.TryGetValue(id, out var previous);
        double rate = previous?.Summary is { } before && now > previous.LastSeen && summary.ZooKeeperRequests >= before.ZooKeeperRequests
            ? (summary.ZooKeeperRequests - before.ZooKeeperRequests) / (now - previous.LastSeen).TotalSeconds
            : previous?.RequestsPerSecond ?? 0;
        // Our own line is observed on every page view: keep the rate over at least one interval.
        if (previous is not null && now - previous.LastSeen < Interval / 2)
        {
            return previous;
        }
        var observation = new Observation(summary, now, Math.Round(rate, 1));
        _observed[id] = observation;
        return observation;
    }

    public override void Dispose()
    {
        _http.Dispose();
        Storage.Dispose();
        base.Dispose();
    }

    private sealed record Observation(NodeSummary Summary, DateTimeOffset LastSeen, double RequestsPerSecond);

    [LoggerMessage(EventId = 6000, Level = LogLevel.Debug, Message = "dashboard: node {Id} did not answer: {Reason}")]
    private partial void LogPollFailed(ulong id, string reason);
}
