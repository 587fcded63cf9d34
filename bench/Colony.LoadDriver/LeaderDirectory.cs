using System.Text.Json;

namespace Colony.LoadDriver;

/// <summary>
/// Where writes go: the leader found through GET /status, replaced when a node answers 421 with a
/// leader's address, or rediscovered when the 421 names none.
/// </summary>
internal sealed class LeaderDirectory(HttpClient client, IReadOnlyList<Uri> cluster, Uri initial)
{
    private readonly SemaphoreSlim _rediscovering = new(1, 1);
    private volatile Uri _leader = initial;

    public Uri Leader => _leader;

    /// <summary>Follows a 421: takes the named leader, or looks for one when none is named.</summary>
    public async Task FollowAsync(Uri askedNode, string? named, CancellationToken cancellationToken)
    {
        if (named is not null && Uri.TryCreate(named.TrimEnd('/'), UriKind.Absolute, out var uri))
        {
            _leader = uri;
            return;
        }
        // Only the first proposer to notice looks; the others wait and reuse what it found.
        await _rediscovering.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_leader != askedNode)
            {
                return;
            }
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            var found = await DiscoverAsync(client, cluster, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
            if (found is not null)
            {
                _leader = found;
            }
        }
        finally
        {
            _rediscovering.Release();
        }
    }

    /// <summary>
    /// Asks every node for /status until one says it leads. When the leader is not among the given
    /// addresses, a node that knows of a leader will do: its 421 names the leader's address.
    /// </summary>
    public static async Task<Uri?> DiscoverAsync(HttpClient client, IReadOnlyList<Uri> cluster, TimeSpan patience, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + patience;
        do
        {
            Uri? knowsLeader = null;
            foreach (var node in cluster)
            {
                var status = await StatusAsync(client, node, cancellationToken).ConfigureAwait(false);
                if (status is { Role: "leader" })
                {
                    return node;
                }
                if (status is { Leader: not 0 })
                {
                    knowsLeader ??= node;
                }
            }
            if (knowsLeader is not null)
            {
                return knowsLeader;
            }
            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }
        while (DateTime.UtcNow < deadline);
        return null;
    }

    /// <summary>A node's role and commit index, or null when it does not answer.</summary>
    public static async Task<NodeSnapshot?> StatusAsync(HttpClient client, Uri node, CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            using var response = await client.GetAsync(new Uri(node, "/status"), timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }
            await using var body = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
            using var json = await JsonDocument.ParseAsync(body, cancellationToken: timeout.Token).ConfigureAwait(false);
            var root = json.RootElement;
            return new NodeSnapshot(
                root.GetProperty("role").GetString() ?? "",
                root.GetProperty("commit").GetUInt64(),
                root.GetProperty("term").GetUInt64(),
                root.GetProperty("leader").GetUInt64());
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            return null;
        }
    }

    /// <summary>The leader address a 421 names, if any.</summary>
    public static string? ParseLeader(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("leader", out var leader) && leader.ValueKind == JsonValueKind.String
                ? leader.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>What the driver reads from a node's /status.</summary>
internal sealed record NodeSnapshot(string Role, ulong Commit, ulong Term, ulong Leader);
