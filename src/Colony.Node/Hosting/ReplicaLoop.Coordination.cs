using System.Net;
using System.Net.Http.Json;
using Colony.Consensus;
using Colony.Coordination.Reconfig;
using Colony.Coordination.Tree;
using Colony.Core;
using Colony.Node.ZooKeeper;

namespace Colony.Node.Hosting;

/// <summary>The replica loop as the coordination service's host.</summary>
public sealed partial class ReplicaLoop : ICoordinationHost
{
    /// <summary>The ZooKeeper data tree's module of the replicated state machine.</summary>
    public CoordinationModule Coordination { get; } = new();

    private const int StatusRefreshMilliseconds = 20;

    private bool _statusStale;
    private long _statusBuiltAt;
    private RaftRole _statusRole; // the role, and the membership, that the published status was built from
    private Membership? _statusMembership;

    /// <summary>Raised on the loop thread after every Raft tick.</summary>
    internal event Action? Ticked;

    /// <summary>Raised on the loop thread after every cycle of the replica (and before it waits).</summary>
    internal event Action? Cycled;

    /// <summary>Guards <see cref="Coordination"/>: held while commands are applied to it.</summary>
    internal object CoordinationGate { get; } = new();

    /// <summary>Raised on the loop thread after the state machine was replaced by a snapshot from the leader.</summary>
    internal event Action? SnapshotRestored;

    ulong ICoordinationHost.NodeId => _options.NodeId;

    object ICoordinationHost.Gate => CoordinationGate;

    bool ICoordinationHost.IsLeader => _replica.Node.Role == RaftRole.Leader;

    ulong ICoordinationHost.Leader => _replica.Node.Leader.Value;

    bool ICoordinationHost.LeaderReachable =>
        _replica.Node.Role == RaftRole.Leader
        || (!_replica.Node.Leader.IsNone && _transport.IsConnected(_replica.Node.Leader));

    void ICoordinationHost.Post(Action work) => Post(work);

    void ICoordinationHost.SubmitAndRun(Action submit) => SubmitAndRun(submit);

    ProposeResult ICoordinationHost.ProposeOrForward(IReadOnlyList<ReadOnlyMemory<byte>> entries) => _replica.Node.ProposeOrForward(entries);

    bool ICoordinationHost.IsLearner => _replica.Node.Membership.IsLearner(new NodeId(_options.NodeId));

    IReadOnlyList<ServerSpec> ICoordinationHost.Ensemble
    {
        get
        {
            var membership = _replica.Node.Membership;
            var servers = new List<ServerSpec>(membership.Voters.Count + membership.Learners.Count);
            foreach (var id in membership.All)
            {
                var role = membership.IsVoter(id) ? ServerRole.Participant : ServerRole.Observer;
                servers.Add(SpecOf(id.Value, role));
            }
            return servers;
        }
    }

    /// <summary>A member as a dynamic-config line sees it: peer host and port, HTTP port, ZooKeeper address.</summary>
    private ServerSpec SpecOf(ulong id, ServerRole role)
    {
        var address = _addresses.GetValueOrDefault(id);
        string? zooKeeper = id == _options.NodeId ? _options.ZooKeeper : address?.ZooKeeper;
        if (address is null || !IPEndPoint.TryParse(address.Peer, out var peer))
        {
            // A member whose address this node has not learnt yet: listed, with no ports known.
            return new ServerSpec(id, "unknown", 1, 1, role);
        }
        int httpPort = Uri.TryCreate(address.Http, UriKind.Absolute, out var http) ? http.Port : 1;
        string? clientHost = null;
        int clientPort = 0;
        if (zooKeeper is not null && IPEndPoint.TryParse(zooKeeper, out var client))
        {
            clientHost = client.Address.ToString();
            clientPort = client.Port;
        }
        return new ServerSpec(id, peer.Address.ToString(), peer.Port, httpPort, role, clientHost, clientPort);
    }

    async Task<MembershipStepOutcome> ICoordinationHost.ChangeMembershipAsync(ReconfigStep step)
    {
        var server = step.Server;
        var (type, role) = step.Kind switch
        {
            ReconfigStepKind.AddObserver => (MembershipChangeType.AddLearner, "learner"),
            ReconfigStepKind.Promote => (MembershipChangeType.AddVoter, "voter"),
            _ => (MembershipChangeType.Remove, ""),
        };
        bool recordAddress = step.Kind == ReconfigStepKind.AddObserver;
        // The election port is the member's HTTP port, served with the same scheme as ours (HTTPS in a TLS cluster).
        string http = server.HttpAddressWith(new Uri(_options.Http).Scheme);
        var (outcome, error, busy) = await ChangeMembershipAsync(new MembershipChange(type, new NodeId(server.Id)),
            recordAddress ? server.PeerAddress : null, recordAddress ? http : null, recordAddress ? server.ClientAddress : null).ConfigureAwait(false);
        if (outcome != WriteOutcome.NotLeader)
        {
            return outcome == WriteOutcome.Committed ? MembershipStepOutcome.Done
                : busy ? MembershipStepOutcome.Busy
                : outcome == WriteOutcome.Rejected && error is not null ? MembershipStepOutcome.Refused(error)
                : MembershipStepOutcome.Failed;
        }
        // Only the leader changes the membership: ask it over HTTP, as a joining node does.
        if (LeaderHttp is not { } leader)
        {
            return MembershipStepOutcome.Failed;
        }
        try
        {
            using var response = type == MembershipChangeType.Remove
                ? await MembershipHttp.DeleteAsync(new Uri(new Uri(leader), $"/cluster/members/{server.Id}")).ConfigureAwait(false)
                : await MembershipHttp.PostAsJsonAsync(new Uri(new Uri(leader), "/cluster/members"),
                    new MemberRequest(server.Id, recordAddress ? server.PeerAddress : null, recordAddress ? http : null, role,
                        recordAddress ? server.ClientAddress : null), NodeJson.Default.MemberRequest).ConfigureAwait(false);
            return response.StatusCode switch
            {
                HttpStatusCode.NoContent => MembershipStepOutcome.Done,
                HttpStatusCode.Locked => MembershipStepOutcome.Busy,
                HttpStatusCode.Conflict => MembershipStepOutcome.Refused(await response.Content.ReadAsStringAsync().ConfigureAwait(false)),
                _ => MembershipStepOutcome.Failed,
            };
        }
        catch (Exception e) when (PeerHttpFailure.IsNoAnswer(e))
        {
            return MembershipStepOutcome.Failed;
        }
    }

    // Changing the membership is an administrator's call: the node presents the cluster token, as a joining node does,
    // and trusts the cluster's CA as every internal client does (the leader's HTTP port may be HTTPS).
    private HttpClient MembershipHttp => _membershipHttp ??= CreateMembershipHttp();

    private HttpClient? _membershipHttp;

    private HttpClient CreateMembershipHttp()
    {
        var http = Tls.CreateHttpClient(TimeSpan.FromSeconds(20));
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Convert.ToBase64String(_options.LoadSecret()));
        return http;
    }
}
