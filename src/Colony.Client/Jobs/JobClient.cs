using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Colony.Client.Jobs;

/// <summary>A job call the cluster refused, with the HTTP status and the server's explanation.</summary>
public sealed class JobException(int statusCode, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
}

/// <summary>
/// Submits, watches and kills MapReduce jobs through <c>/api/jobs</c> on any node (one that does not lead
/// forwards to the leader). Retries while the cluster has no leader; any other refusal is a <see cref="JobException"/>.
/// </summary>
public sealed class JobClient : IDisposable
{
    private readonly IReadOnlyList<Uri> _nodes;
    private readonly HttpClient _http;
    private int _preferred;

    /// <param name="nodes">HTTP addresses of cluster members.</param>
    /// <param name="secret">The cluster secret: the cluster token is its base64.</param>
    /// <param name="tls">The cluster's CA for https node addresses; null trusts the system's roots.</param>
    /// <param name="connectCallback">Opens each TCP connection to a node (see <see cref="ZooKeeperClientOptions.ConnectCallback"/>); null: direct connections.</param>
    public JobClient(IReadOnlyList<Uri> nodes, byte[]? secret, Security.ClusterTrust? tls = null,
        Func<System.Net.DnsEndPoint, CancellationToken, ValueTask<System.Net.Sockets.Socket>>? connectCallback = null)
        : this(nodes, secret is null ? null : Convert.ToBase64String(secret), tls, connectCallback)
    {
    }

    /// <param name="nodes">HTTP addresses of cluster members.</param>
    /// <param name="token">The bearer token (the cluster token or a user's): submitting and killing need one.</param>
    /// <param name="tls">The cluster's CA for https node addresses; null trusts the system's roots.</param>
    /// <param name="connectCallback">Opens each TCP connection to a node (see <see cref="ZooKeeperClientOptions.ConnectCallback"/>); null: direct connections.</param>
    public JobClient(IReadOnlyList<Uri> nodes, string? token, Security.ClusterTrust? tls = null,
        Func<System.Net.DnsEndPoint, CancellationToken, ValueTask<System.Net.Sockets.Socket>>? connectCallback = null)
    {
        _http = new HttpClient(Security.ClusterTrust.HttpHandler(tls, connectCallback)) { Timeout = TimeSpan.FromSeconds(60) };
        ArgumentNullException.ThrowIfNull(nodes);
        if (nodes.Count == 0)
        {
            throw new ArgumentException("at least one node address is needed", nameof(nodes));
        }
        _nodes = nodes;
        if (token is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    /// <summary>How long a call keeps retrying while no node answers or the cluster has no leader.</summary>
    public TimeSpan LeaderWait { get; init; } = TimeSpan.FromSeconds(20);

    public async Task<string> SubmitAsync(JobRequest job, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Post, "/api/jobs", () => JsonContent.Create(job, JobJson.Default.JobRequest), JobJson.Default.JobSubmitted, cancellationToken).ConfigureAwait(false)).Id;

    public Task<JobDetail> GetAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"/api/jobs/{Uri.EscapeDataString(id)}", null, JobJson.Default.JobDetail, cancellationToken);

    /// <summary>
    /// The job at its next change, or at once if it has finished, or after <paramref name="wait"/> (the server
    /// caps it at 10 s): a long poll, so a waiting client learns of the end without polling fast.
    /// </summary>
    public Task<JobDetail> GetNextAsync(string id, TimeSpan wait, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"/api/jobs/{Uri.EscapeDataString(id)}?waitMs={(long)wait.TotalMilliseconds}", null, JobJson.Default.JobDetail, cancellationToken);

    public async Task<IReadOnlyList<JobSummary>> ListAsync(CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Get, "/api/jobs", null, JobJson.Default.JobList, cancellationToken).ConfigureAwait(false)).Jobs;

    public Task<JobSummary> KillAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"/api/jobs/{Uri.EscapeDataString(id)}/kill", null, JobJson.Default.JobSummary, cancellationToken);

    /// <summary>
    /// Follows the job until it finishes, reporting each state seen (at each change, and at least every
    /// <paramref name="interval"/>, 1 s by default); returns the final state.
    /// </summary>
    public async Task<JobDetail> WaitAsync(string id, Action<JobDetail>? progress = null, TimeSpan? interval = null, CancellationToken cancellationToken = default)
    {
        var every = interval ?? TimeSpan.FromSeconds(1);
        var detail = await GetAsync(id, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            progress?.Invoke(detail);
            if (detail.Job.IsFinished)
            {
                return detail;
            }
            // A floor between requests, for a server that answers at once instead of holding the request.
            var pause = Task.Delay(MinPollInterval, cancellationToken);
            detail = await GetNextAsync(id, every, cancellationToken).ConfigureAwait(false);
            if (!detail.Job.IsFinished)
            {
                await pause.ConfigureAwait(false);
            }
        }
    }

    private static readonly TimeSpan MinPollInterval = TimeSpan.FromMilliseconds(100);

    /// <param name="content">Makes the body, once per attempt: a request disposes its content, so a retry needs a new one.</param>
    private async Task<T> SendAsync<T>(HttpMethod method, string path, Func<HttpContent>? content, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + LeaderWait;
        int attempt = 0;
        while (true)
        {
            int index = (Volatile.Read(ref _preferred) + attempt) % _nodes.Count;
            using var request = new HttpRequestMessage(method, new Uri(_nodes[index], path)) { Content = content?.Invoke() };
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException) when (DateTimeOffset.UtcNow < deadline)
            {
                attempt++;
                await Task.Delay(attempt % _nodes.Count == 0 ? 200 : 0, cancellationToken).ConfigureAwait(false);
                continue;
            }
            using (response)
            {
                if (response.IsSuccessStatusCode)
                {
                    Volatile.Write(ref _preferred, index);
                    return (await response.Content.ReadFromJsonAsync(type, cancellationToken).ConfigureAwait(false))!;
                }
                // 503: no leader or leadership moving; nothing was done, so a retry is safe.
                if (response.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.BadGateway && DateTimeOffset.UtcNow < deadline)
                {
                    attempt++;
                    await Task.Delay(200, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                throw new JobException((int)response.StatusCode, await DescribeAsync(response, cancellationToken).ConfigureAwait(false));
            }
        }
    }

    private static async Task<string> DescribeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var problem = JsonDocument.Parse(text);
            string? title = problem.RootElement.TryGetProperty("title", out var t) ? t.GetString() : null;
            string? detail = problem.RootElement.TryGetProperty("detail", out var d) ? d.GetString() : null;
            return (title, detail) switch
            {
                ({ } a, { } b) => $"{a}: {b}",
                (_, { } b) => b,
                ({ } a, _) => a,
                _ => $"HTTP {(int)response.StatusCode}",
            };
        }
        catch (JsonException)
        {
            return $"HTTP {(int)response.StatusCode}";
        }
    }

    public void Dispose() => _http.Dispose();
}
