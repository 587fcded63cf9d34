using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Serialization;

namespace Colony.IntegrationTests;

/// <summary>How one key-value request ended, as the client saw it.</summary>
internal enum ReplyKind
{
    /// <summary>PUT: 204, committed and applied. GET: 200, the value.</summary>
    Ok,

    /// <summary>GET: 404, no value.</summary>
    NotFound,

    /// <summary>421: this node does not lead; the write was not proposed. <see cref="KeyValueReply.Leader"/> may name the leader.</summary>
    NotLeader,

    /// <summary>503: refused, or the outcome is unknown (a write may still take effect).</summary>
    Unavailable,

    /// <summary>No answer: refused connection, reset, or client timeout (a write may still take effect).</summary>
    NoAnswer,

    /// <summary>A status the protocol does not allow for this request.</summary>
    Unexpected,
}

internal readonly record struct KeyValueReply(ReplyKind Kind, string? Value = null, string? Leader = null, int Status = 0);

/// <summary>A thin client of the test key-value module that never throws for transport failures.</summary>
internal sealed class KeyValueClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly string _token;

    /// <param name="timeout">
    /// The client's own deadline for one request; longer than the node's 5 s write timeout, so that a
    /// node that is alive answers 503 rather than being cut off.
    /// </param>
    /// <param name="token">The bearer token writes carry: key-value writes are an administrator's (the cluster token).</param>
    public KeyValueClient(TimeSpan timeout, string token)
    {
        _token = token;
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(2),
            // Killed nodes leave dead pooled connections behind: do not keep them around for long.
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(5),
        };
        _http = new HttpClient(handler) { Timeout = timeout };
    }

    public async Task<KeyValueReply> PutAsync(string node, string key, string value, CancellationToken cancellationToken = default)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Put, $"{node}/kv/{key}") { Content = new StringContent(value) };
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", _token);
            using var response = await _http.SendAsync(request, cancellationToken);
            return response.StatusCode switch
            {
                HttpStatusCode.NoContent => new KeyValueReply(ReplyKind.Ok),
                HttpStatusCode.MisdirectedRequest => new KeyValueReply(ReplyKind.NotLeader, Leader: await LeaderOfAsync(response, cancellationToken)),
                HttpStatusCode.ServiceUnavailable => new KeyValueReply(ReplyKind.Unavailable),
                _ => new KeyValueReply(ReplyKind.Unexpected, Status: (int)response.StatusCode),
            };
        }
        catch (Exception e) when (IsTransportFailure(e, cancellationToken))
        {
            return new KeyValueReply(ReplyKind.NoAnswer);
        }
    }

    public async Task<KeyValueReply> GetAsync(string node, string key, CancellationToken cancellationToken = default)
    {
        try
        {
            using var response = await _http.GetAsync($"{node}/kv/{key}", cancellationToken);
            return response.StatusCode switch
            {
                HttpStatusCode.OK => new KeyValueReply(ReplyKind.Ok, Value: await response.Content.ReadAsStringAsync(cancellationToken)),
                HttpStatusCode.NotFound => new KeyValueReply(ReplyKind.NotFound),
                HttpStatusCode.ServiceUnavailable => new KeyValueReply(ReplyKind.Unavailable),
                _ => new KeyValueReply(ReplyKind.Unexpected, Status: (int)response.StatusCode),
            };
        }
        catch (Exception e) when (IsTransportFailure(e, cancellationToken))
        {
            return new KeyValueReply(ReplyKind.NoAnswer);
        }
    }

    /// <summary>POST /cluster/members or DELETE /cluster/members/{id}; returns the status code, or 0 for no answer, and the leader named by a 421.</summary>
    public async Task<(int Status, string? Leader)> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken = default)
    {
        try
        {
            using var response = await _http.SendAsync(request, cancellationToken);
            string? leader = response.StatusCode == HttpStatusCode.MisdirectedRequest ? await LeaderOfAsync(response, cancellationToken) : null;
            return ((int)response.StatusCode, leader);
        }
        catch (Exception e) when (IsTransportFailure(e, cancellationToken))
        {
            return (0, null);
        }
    }

    public void Dispose() => _http.Dispose();

    private static async Task<string?> LeaderOfAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var body = await response.Content.ReadFromJsonAsync<LeaderBody>(cancellationToken);
            return body?.Leader;
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or HttpRequestException or IOException)
        {
            return null;
        }
    }

    private static bool IsTransportFailure(Exception e, CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested
        && e is HttpRequestException or TaskCanceledException or OperationCanceledException or IOException;

    private sealed record LeaderBody([property: JsonPropertyName("leader")] string? Leader);
}
