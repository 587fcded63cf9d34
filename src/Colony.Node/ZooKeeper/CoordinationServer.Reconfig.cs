using System.Text;
using Colony.Coordination;
using Colony.Coordination.Commands;
using Colony.Coordination.Protocol;
using Colony.Coordination.Reconfig;
using Colony.Coordination.Security;
using Colony.Coordination.Tree;
using Microsoft.Extensions.Logging;

namespace Colony.Node.ZooKeeper;

/// <remarks>
/// Dynamic reconfiguration. <c>/zookeeper/config</c> follows the Raft membership: the leader
/// rewrites it through the log whenever the two differ, so every node serves the same text, Stat
/// and watch events. A reconfig is planned against the membership as this node knows it, then run
/// as single Raft membership changes through the leader, one after the other; it is answered once
/// this node has applied the config that names the new membership.
/// </remarks>
internal sealed partial class CoordinationServer
{
    // A name that has not resolved by then is taken as one that does not resolve.
    private static readonly TimeSpan HostLookupTimeout = TimeSpan.FromSeconds(5);

    // With no host names to look up, every server must be named by IP address.
    private static readonly IReadOnlyDictionary<string, string> NoHostNames = new Dictionary<string, string>();

    private IReadOnlyList<ServerSpec> _ensemble = [];
    private bool _observer;
    private string? _configProposed;
    private long _configProposedAtMs;
    private Reconfiguring? _reconfiguring;
    private bool _wasMember;
    private bool _removed;

    /// <summary>A reconfig this node runs: at most one at a time, as ZooKeeper's leader allows.</summary>
    private sealed class Reconfiguring(SessionState session, PendingRequest pending, IReadOnlyList<ServerSpec> target)
    {
        public SessionState Session { get; } = session;

        public PendingRequest Pending { get; } = pending;

        public IReadOnlyList<ServerSpec> Target { get; } = target;

        /// <summary>Set once every membership change committed: now waiting for the config to show them.</summary>
        public long StepsDoneAtMs { get; set; } = -1;
    }

    /// <summary>Loop thread: catches up with the membership; the leader brings the config node in step with it.</summary>
    private void ObserveEnsemble(bool isLeader, long now, long elapsed)
    {
        _ensemble = _host.Ensemble;
        _observer = _host.IsLearner;
        bool member = _ensemble.Any(s => s.Id == _host.NodeId);
        if (_wasMember && !member)
        {
            LeftEnsemble();
        }
        _wasMember = member;
        _removed &= !member;
        if (isLeader)
        {
            string servers = DynamicConfig.FormatServers(_ensemble);
            // The same text again only if the last proposal of it was not applied in time (lost).
            bool pending = servers == _configProposed && elapsed - _configProposedAtMs < _options.WriteTimeoutMs;
            if (_ensemble.Count > 0 && !pending && servers != ConfigServers())
            {
                _configProposed = servers;
                _configProposedAtMs = elapsed;
                Propose(null, CoordinationCommand.FromCluster(_host.NodeId, now, new Op.SetConfig(Encoding.UTF8.GetBytes(servers))));
            }
        }
        if (_reconfiguring is { StepsDoneAtMs: >= 0 } running)
        {
            if (ConfigShows(running.Target))
            {
                FinishReconfig(ErrorCode.Ok);
            }
            else if (elapsed - running.StepsDoneAtMs > _options.WriteTimeoutMs)
            {
                FinishReconfig(ErrorCode.NewConfigNoQuorum);
            }
        }
    }

    /// <summary>
    /// This node was taken out of the ensemble: it hears from no leader any more, so, as a removed
    /// ZooKeeper server does, it stops serving. Its clients move on to the servers that remain (and a
    /// reconfig that removed this node learns its outcome there).
    /// </summary>
    private void LeftEnsemble()
    {
        LogLeftEnsemble(_connections.Count);
        _removed = true;
        _reconfiguring = null;
        foreach (var connection in _connections.Values.ToList())
        {
            connection.Close();
        }
    }

    /// <summary>The server lines of <c>/zookeeper/config</c> as applied here, without the version line.</summary>
    private string ConfigServers()
    {
        string text = ConfigText(out _);
        int version = text.LastIndexOf("version=", StringComparison.Ordinal);
        return version >= 0 && (version == 0 || text[version - 1] == '\n') ? text[..version] : text;
    }

    private string ConfigText(out NodeView node) =>
        Tree.TryGetNode(DataTree.ConfigPath, out node) && node.Data is { } data ? Encoding.UTF8.GetString(data.Span) : "";

    /// <summary>The config applied here names exactly these servers in these roles.</summary>
    private bool ConfigShows(IReadOnlyList<ServerSpec> target) =>
        DynamicConfig.TryParse(ConfigText(out _), out var config, out _)
        && config.Servers.Select(s => (s.Id, s.Role)).SequenceEqual(target.OrderBy(s => s.Id).Select(s => (s.Id, s.Role)));

    /// <summary>
    /// Connection thread, under the gate: checks a reconfig and starts it, or answers it at once. Servers named
    /// by host name are looked up first, off the gate; the reconfig holds its place meanwhile, so reconfigs
    /// still run one at a time, in the order they came.
    /// </summary>
    private void StartReconfig(SessionState session, PendingRequest pending, ReconfigRequest request)
    {
        var names = ReconfigPlan.HostNames(request.JoiningServers, request.NewMembers);
        var allowed = CheckReconfigAllowed(session);
        if (names.Count == 0 || allowed != ErrorCode.Ok)
        {
            BeginReconfig(session, pending, request, allowed, NoHostNames);
            return;
        }
        if (_reconfiguring is not null)
        {
            CompleteReconfig(pending, ErrorCode.ReconfigInProgress);
            return;
        }
        var resolving = new Reconfiguring(session, pending, []);
        _reconfiguring = resolving;
        _ = ResolveThenBeginAsync(resolving, request, names);
    }

    private async Task ResolveThenBeginAsync(Reconfiguring resolving, ReconfigRequest request, IReadOnlyList<string> names)
    {
        var addresses = await HostAddresses.ResolveAsync(names, HostLookupTimeout).ConfigureAwait(false);
        Post(() =>
        {
            if (_reconfiguring != resolving)
            {
                return; // this node left the ensemble meanwhile, and closed the connection
            }
            _reconfiguring = null;
            BeginReconfig(resolving.Session, resolving.Pending, request, CheckReconfigAllowed(resolving.Session), addresses);
            if (!resolving.Session.Connection.IsClosed)
            {
                Drain(resolving.Session);
            }
        });
    }

    /// <summary>Under the gate: plans the reconfig and runs it, or answers it at once.</summary>
    private void BeginReconfig(SessionState session, PendingRequest pending, ReconfigRequest request, ErrorCode allowed,
        IReadOnlyDictionary<string, string> addresses)
    {
        ReconfigPlan plan = null!;
        var error = allowed == ErrorCode.Ok ? CheckReconfig(session, request, addresses, out plan) : allowed;
        if (error != ErrorCode.Ok || plan.Steps.Count == 0)
        {
            CompleteReconfig(pending, error);
            return;
        }
        LogReconfigStarted(session.SessionId, string.Join(", ", plan.Steps.Select(s => $"{s.Kind} {s.Server.Id}")));
        var running = new Reconfiguring(session, pending, plan.Target);
        _reconfiguring = running;
        _ = RunReconfigAsync(running, plan.Steps);
    }

    /// <summary>Whether this session may reconfigure at all, before its request is looked at.</summary>
    private ErrorCode CheckReconfigAllowed(SessionState session)
    {
        if (!_options.ReconfigEnabled)
        {
            return ErrorCode.ReconfigDisabled;
        }
        if (session.ReadOnly)
        {
            return ErrorCode.NotReadOnly;
        }
        // As ZooKeeper: the super user, or whoever the config node's ACL lets write, unless ACLs are skipped.
        _ = ConfigText(out var configNode);
        if (!_options.ReconfigSkipAcl && !AclCheck.Allows(configNode.Acl, Perms.Write, session.Auth))
        {
            return ErrorCode.NoAuth;
        }
        return ErrorCode.Ok;
    }

    private ErrorCode CheckReconfig(SessionState session, ReconfigRequest request, IReadOnlyDictionary<string, string> addresses, out ReconfigPlan plan)
    {
        string configText = ConfigText(out _);
        if (!ReconfigPlan.TryCreate(_ensemble, request.JoiningServers, request.LeavingServers, request.NewMembers, addresses, out plan, out string reason))
        {
            LogReconfigRefused(session.SessionId, reason);
            return ErrorCode.BadArguments;
        }
        if (request.CurConfigId != -1 && (!DynamicConfig.TryParse(configText, out var config, out _) || config.Version != request.CurConfigId))
        {
            return ErrorCode.BadVersion;
        }
        // Another reconfig is running here, or the config has not caught up with the last membership change.
        if (_reconfiguring is not null || !ConfigShows(_ensemble))
        {
            return ErrorCode.ReconfigInProgress;
        }
        return ErrorCode.Ok;
    }

    private async Task RunReconfigAsync(Reconfiguring running, IReadOnlyList<ReconfigStep> steps)
    {
        var error = ErrorCode.Ok;
        foreach (var step in steps)
        {
            MembershipStepOutcome outcome;
            try
            {
                outcome = await _host.ChangeMembershipAsync(step).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Never leave the reconfig running (and every later one refused) on a surprise.
                outcome = MembershipStepOutcome.Refused(e.Message) with { Status = MembershipStepStatus.Failed };
            }
            if (outcome.Status != MembershipStepStatus.Done)
            {
                LogReconfigStepFailed(step.Kind.ToString(), step.Server.Id, outcome.Status.ToString(), outcome.Error ?? "");
                error = outcome.Status switch
                {
                    MembershipStepStatus.Busy => ErrorCode.ReconfigInProgress,
                    MembershipStepStatus.Refused => ErrorCode.BadArguments,
                    _ => ErrorCode.NewConfigNoQuorum,
                };
                break;
            }
        }
        Post(() =>
        {
            if (error != ErrorCode.Ok)
            {
                FinishReconfig(error);
                return;
            }
            // Answered from ObserveEnsemble once the config applied here shows the new membership.
            running.StepsDoneAtMs = ElapsedMs;
        });
    }

    private void FinishReconfig(ErrorCode error)
    {
        if (_reconfiguring is not { } running)
        {
            return;
        }
        _reconfiguring = null;
        CompleteReconfig(running.Pending, error);
        if (!running.Session.Connection.IsClosed)
        {
            Drain(running.Session);
        }
    }

    /// <summary>As ZooKeeper's reply: the new config's data and Stat.</summary>
    private void CompleteReconfig(PendingRequest pending, ErrorCode error)
    {
        IJuteWritable? body = null;
        if (error == ErrorCode.Ok && Tree.TryGetNode(DataTree.ConfigPath, out var node))
        {
            body = new GetDataResponse(AsArray(node.Data), node.Stat);
        }
        pending.Complete(new ReplyHeader(pending.Header.Xid, Tree.LastZxid, error), body);
    }

    [LoggerMessage(EventId = 5053, Level = LogLevel.Warning, Message = "this node left the ensemble: closing {Count} client connections and refusing new ones")]
    private partial void LogLeftEnsemble(int count);

    [LoggerMessage(EventId = 5050, Level = LogLevel.Information, Message = "reconfig from session 0x{SessionId:x}: {Steps}")]
    private partial void LogReconfigStarted(long sessionId, string steps);

    [LoggerMessage(EventId = 5051, Level = LogLevel.Information, Message = "reconfig from session 0x{SessionId:x} refused: {Reason}")]
    private partial void LogReconfigRefused(long sessionId, string reason);

    [LoggerMessage(EventId = 5052, Level = LogLevel.Warning, Message = "reconfig step {Kind} of server {Id} ended {Status} {Error}")]
    private partial void LogReconfigStepFailed(string kind, ulong id, string status, string error);
}
