using System.Net.Http.Json;
using Colony.Node.FileSystem;
using Colony.Node.Hosting;

namespace Colony.Node.Dashboard;

/// <summary>
/// The cluster's block health for the dashboard. Only the leader keeps the block map: it builds the report
/// from it (the same fsck as <c>GET /api/fs/fsck</c>); any other node asks the leader.
/// </summary>
internal sealed class StorageHealthSource(NamespaceService files, BlockManager manager, ReplicaLoop loop, TimeProvider time) : IDisposable
{
    public const string Path = "/api/storage/health";

    /// <summary>How long the leader reuses its report: every node's monitor asks once a second, and fsck walks every block.</summary>
    private const long ReuseMs = 1_000;

    private readonly HttpClient _http = loop.Tls.CreateHttpClient(TimeSpan.FromSeconds(3));
    private readonly Lock _gate = new();
    private (long At, StorageHealthView? View) _last;

    /// <summary>
    /// The health as the leader sees it; null while no leader is known or reachable, and during a new leader's
    /// first seconds, before every data node has reported its replicas.
    /// </summary>
    public async Task<StorageHealthView?> GetAsync(bool forwarded, CancellationToken cancellationToken)
    {
        if (loop.IsLeader)
        {
            return Local();
        }
        if (forwarded || loop.LeaderHttp is not { } leader)
        {
            return null; // asked by a node that took us for the leader: never pass it on again
        }
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(new Uri(leader), Path));
            request.Headers.Add(LeaderForwarder.ForwardedHeader, "1");
            using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode
                ? await response.Content.ReadFromJsonAsync(DashboardJson.Default.StorageHealthView, cancellationToken).ConfigureAwait(false)
                : null;
        }
        catch (Exception e) when (PeerHttpFailure.IsNoAnswer(e) && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    private StorageHealthView? Local()
    {
        long now = time.MonotonicMs(); // the block manager's clock
        lock (_gate)
        {
            if (_last.View is null || now - _last.At >= ReuseMs || now < _last.At)
            {
                _last = (now, Build(now));
            }
            return _last.View;
        }
    }

    private StorageHealthView? Build(long now)
    {
        if (!manager.IsSettled(now) || FsEndpoints.Fsck(files, manager, "/", now) is not { } fsck)
        {
            return null;
        }
        var counts = manager.ReplicaCounts();
        var nodes = manager.Nodes(now).OrderBy(n => n.Id).Select(n =>
        {
            var (replicas, corrupt) = counts.GetValueOrDefault(n.Id);
            return new DataNodeHealthView(n.Id.Value, manager.AddressOf(n.Id) ?? "", FsEndpoints.StateText(n.State), replicas, corrupt, n.CapacityBytes, n.FreeBytes);
        });
        return new StorageHealthView(loop.Status.Leader, fsck, [.. nodes]);
    }

    public void Dispose() => _http.Dispose();
}
