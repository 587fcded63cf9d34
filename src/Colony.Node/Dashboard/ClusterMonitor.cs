using System.Net.Http.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Colony.Node.Dashboard;

/// <summary>
/// Asks every member for its summary once a second, so that any node can draw the whole cluster: the
/// overview, per-node coordination load, and who is dead. A member that has not answered for
/// <see cref="DeadAfter"/> is shown dead; before it first answers it is unknown, until that long has
/// passed since this node started watching.
/// </summary>
internal sealed partial class ClusterMonitor : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>Silence after which a node is declared dead on the dashboard.</summary>
    public static readonly TimeSpan DeadAfter = TimeSpan.FromSeconds(3);

    private readonly NodeSelf _self;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromMilliseconds(900) };
    private readonly Lock _gate = new();
    private readonly Dictionary<ulong, Observation> _observed = [];
    private readonly DateTimeOffset _watchingSince;

    public ClusterMonitor(NodeSelf self, TimeProvider time, ILogger<ClusterMonitor> logger)
    {
        _self = self;
        _time = time;
        _logger = logger;
        _watchingSince = time.GetUtcNow();
    }

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
        ulong leader = status.Leader;
        var alerts = AlertRules.Evaluate(nodes, leader, status.Commit);
        bool healthy = alerts.All(a => a.Severity != AlertRules.Critical);
        return new ClusterView(_self.ClusterId, _self.Id, now, leader, status.Term, status.Commit, healthy, nodes, alerts);
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
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException or UriFormatException)
        {
            if (!cancellationToken.IsCancellationRequested)
            {
                LogPollFailed(id, e.Message);
            }
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
        base.Dispose();
    }

    private sealed record Observation(NodeSummary Summary, DateTimeOffset LastSeen, double RequestsPerSecond);

    [LoggerMessage(EventId = 6000, Level = LogLevel.Debug, Message = "dashboard: node {Id} did not answer: {Reason}")]
    private partial void LogPollFailed(ulong id, string reason);
}
