using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Colony.Node.Hosting;

/// <summary>
/// For a node started with <c>--join ADDR</c>: asks the cluster, through any member, to add this
/// node as a learner; once it has applied what the leader had committed, asks again as a voter.
/// Retries until it succeeds or the node stops (the cluster may be between leaders).
/// </summary>
internal sealed partial class JoinService(NodeOptions options, ReplicaLoop loop, ILogger<JoinService> logger) : BackgroundService
{
    private static readonly TimeSpan Retry = TimeSpan.FromMilliseconds(500);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Join || options.JoinVia is null)
        {
            return;
        }
        using var http = loop.Tls.CreateHttpClient(TimeSpan.FromSeconds(20));
        // Changing the membership is an administrator's call: the node presents the cluster token.
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Convert.ToBase64String(options.LoadSecret()));
        var via = new Uri(options.JoinVia);
        if (!IsMember(learnerOk: true))
        {
            via = await AskAsync(http, via, "learner", stoppingToken).ConfigureAwait(false);
            LogJoined(options.NodeId, "learner");
        }
        while (!stoppingToken.IsCancellationRequested && !IsMember(learnerOk: false))
        {
            // Catch up first, so that promoting us does not leave the cluster waiting on a slow voter.
            var status = loop.Status;
            if (status.Leader != 0 && status.Applied >= status.Commit && status.Commit > 0)
            {
                via = await AskAsync(http, via, "voter", stoppingToken).ConfigureAwait(false);
                LogJoined(options.NodeId, "voter");
                return;
            }
            await Task.Delay(Retry, stoppingToken).ConfigureAwait(false);
        }
    }

    private bool IsMember(bool learnerOk)
    {
        var status = loop.Status;
        return status.Voters.Contains(options.NodeId) || (learnerOk && status.Learners.Contains(options.NodeId));
    }

    /// <summary>Posts the membership request until it commits, following redirects to the leader.</summary>
    private async Task<Uri> AskAsync(HttpClient http, Uri via, string role, CancellationToken ct)
    {
        var request = new MemberRequest(options.NodeId, options.Peer, options.Http, role, options.ZooKeeper);
        while (true)
        {
            try
            {
                using var response = await http.PostAsJsonAsync(new Uri(via, "/cluster/members"), request, NodeJson.Default.MemberRequest, ct).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.NoContent)
                {
                    return via;
                }
                if (response.StatusCode == HttpStatusCode.MisdirectedRequest
                    && await response.Content.ReadFromJsonAsync(NodeJson.Default.LeaderView, ct).ConfigureAwait(false) is { Leader: { } leader })
                {
                    via = new Uri(leader);
                    continue;
                }
                LogJoinRetry(options.NodeId, role, $"{(int)response.StatusCode} from {via}");
            }
            catch (Exception e) when (PeerHttpFailure.IsNoAnswer(e) && !ct.IsCancellationRequested)
            {
                LogJoinRetry(options.NodeId, role, e.Message);
            }
            if (role == "learner" ? IsMember(learnerOk: true) : IsMember(learnerOk: false))
            {
                return via; // an earlier attempt committed after all
            }
            await Task.Delay(Retry, ct).ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "node {NodeId} joined the cluster as a {Role}")]
    private partial void LogJoined(ulong nodeId, string role);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Warning, Message = "node {NodeId} could not join as a {Role} yet: {Reason}; retrying")]
    private partial void LogJoinRetry(ulong nodeId, string role, string reason);
}
