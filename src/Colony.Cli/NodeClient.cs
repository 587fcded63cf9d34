using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Colony.Cli;

/// <summary>
/// Talks HTTP to nodes: <c>/status</c> and <c>/health</c> (short timeouts; an unreachable node is
/// a null answer, not an error) and the membership endpoints on the leader.
/// </summary>
internal sealed class NodeClient : IDisposable
{
    /// <summary>How long one status query may take before the node counts as unreachable.</summary>
    public static readonly TimeSpan StatusTimeout = TimeSpan.FromSeconds(2);

    /// <summary>How long a membership request may take.</summary>
    public static readonly TimeSpan ChangeTimeout = TimeSpan.FromSeconds(15);

    private readonly HttpClient http;

    /// <param name="token">The bearer token membership changes need (an administrator's); status reads need none.</param>
    /// <param name="tls">The cluster's CA for https addresses; null trusts the system's roots.</param>
    public NodeClient(string? token = null, Colony.Client.Security.ClusterTrust? tls = null)
    {
        // Nodes are on loopback or a private network: never go through a proxy.
        var handler = Colony.Client.Security.ClusterTrust.HttpHandler(tls);
        handler.ConnectTimeout = TimeSpan.FromSeconds(1);
        handler.PooledConnectionLifetime = TimeSpan.FromSeconds(30);
        handler.AllowAutoRedirect = false;
        http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }
    }

    public void Dispose() => http.Dispose();

    /// <summary>The node's status, or null when it does not answer in time or answers nonsense.</summary>
    public async Task<NodeStatus?> TryGetStatusAsync(Uri node, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StatusTimeout);
        try
        {
            using var response = await http.GetAsync(new Uri(node, "/status"), timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            return await response.Content.ReadFromJsonAsync(CliJson.Default.NodeStatus, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (IsUnreachable(e) && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Every node's status, queried in parallel, in the order given.</summary>
    public async Task<IReadOnlyList<(NodeEndpoint Node, NodeStatus? Status)>> GetStatusesAsync(IReadOnlyList<NodeEndpoint> nodes, CancellationToken cancellationToken)
    {
        var answers = await Task.WhenAll(nodes.Select(n => TryGetStatusAsync(n.Http, cancellationToken))).ConfigureAwait(false);
        return [.. nodes.Zip(answers)];
    }

    /// <summary>Adds or re-roles a member, on the leader (following a follower's redirect once); returns the node that accepted it.</summary>
    public Task<Uri> AddMemberAsync(Uri node, MemberRequest member, CancellationToken cancellationToken) =>
        SendToLeaderAsync(node, leader => new HttpRequestMessage(HttpMethod.Post, new Uri(leader, "/cluster/members"))
        {
            Content = JsonContent.Create(member, CliJson.Default.MemberRequest),
        }, $"add node {member.Id} as a {member.Role}", cancellationToken);

    /// <summary>Removes a member, on the leader (following a follower's redirect once); returns the node that accepted it.</summary>
    public Task<Uri> RemoveMemberAsync(Uri node, int id, CancellationToken cancellationToken) =>
        SendToLeaderAsync(node, leader => new HttpRequestMessage(HttpMethod.Delete, new Uri(leader, $"/cluster/members/{id}")), $"remove node {id}", cancellationToken);

    private async Task<Uri> SendToLeaderAsync(Uri node, Func<Uri, HttpRequestMessage> request, string what, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ChangeTimeout);
        var target = node;
        for (var attempt = 0; ; attempt++)
        {
            HttpResponseMessage response;
            try
            {
                using var message = request(target);
                response = await http.SendAsync(message, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (IsUnreachable(e) && !cancellationToken.IsCancellationRequested)
            {
                throw new CliError($"could not {what}: {Authority(target)} did not answer ({OneLine(e.Message)})");
            }

            using (response)
            {
                var body = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return target;
                }

                if (response.StatusCode == HttpStatusCode.MisdirectedRequest && attempt == 0)
                {
                    target = LeaderFrom(body) ?? throw new CliError($"could not {what}: the cluster has no leader right now; try again");
                    continue;
                }

                var reason = response.StatusCode == HttpStatusCode.MisdirectedRequest
                    ? "the leader moved while asking; try again"
                    : $"{(int)response.StatusCode} {Detail(body) ?? response.ReasonPhrase}";
                throw new CliError($"could not {what}: {Authority(target)} answered {reason}");
            }
        }
    }

    private static Uri? LeaderFrom(string body)
    {
        try
        {
            var hint = JsonSerializer.Deserialize(body, CliJson.Default.LeaderHint);
            return string.IsNullOrWhiteSpace(hint?.Leader) ? null : NodeEndpoint.ParseHttp(hint.Leader);
        }
        catch (Exception e) when (e is JsonException or CliError)
        {
            return null;
        }
    }

    /// <summary>The gist of an error body: a problem's detail or title, or the text itself, on one line.</summary>
    private static string? Detail(string body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                foreach (var name in (string[])["detail", "title", "error", "message"])
                {
                    if (document.RootElement.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String)
                    {
                        return OneLine(value.GetString()!);
                    }
                }
            }
        }
        catch (JsonException)
        {
        }

        return OneLine(body);
    }

    internal static string OneLine(string text)
    {
        var line = string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return line.Length <= 200 ? line : line[..200] + "…";
    }

    private static string Authority(Uri uri) => uri.GetLeftPart(UriPartial.Authority);

    /// <summary>
    /// True for every way a node can fail to give a usable answer: refused or dropped connections, a
    /// body cut off mid-read, a timeout, nonsense for JSON, a bad address.
    /// </summary>
    internal static bool IsUnreachable(Exception e) =>
        e is HttpRequestException or OperationCanceledException or IOException or JsonException or NotSupportedException or UriFormatException;
}
