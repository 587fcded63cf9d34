using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Colony.Node.Hosting;

/// <summary>
/// Relays a request that only the leader can answer to the leader, and its answer back; a request that was
/// already forwarded once is not sent on again. Bodies stream through in both directions.
/// </summary>
internal sealed class LeaderForwarder(ReplicaLoop loop) : IDisposable
{
    public const string ForwardedHeader = "X-Colony-Forwarded";

    private readonly HttpClient _http = loop.Tls.CreateHttpClient(TimeSpan.FromSeconds(60));

    public async Task ForwardAsync(HttpContext http)
    {
        if (loop.LeaderHttp is not { } leader || http.Request.Headers.ContainsKey(ForwardedHeader))
        {
            await Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "no leader",
                detail: "no leader is known yet; try again shortly").ExecuteAsync(http).ConfigureAwait(false);
            return;
        }
        var target = new Uri(new Uri(leader), http.Request.Path + http.Request.QueryString);
        using var request = new HttpRequestMessage(new HttpMethod(http.Request.Method), target);
        request.Headers.Add(ForwardedHeader, "1");
        if (http.Request.Headers.Authorization.Count > 0)
        {
            request.Headers.TryAddWithoutValidation("Authorization", http.Request.Headers.Authorization.ToString());
        }
        if (http.Request.ContentLength > 0 || http.Request.Headers.TransferEncoding.Count > 0)
        {
            request.Content = new StreamContent(http.Request.Body);
            if (http.Request.ContentType is { } contentType)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }
        }
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, http.RequestAborted).ConfigureAwait(false);
            http.Response.StatusCode = (int)response.StatusCode;
            if (response.Content.Headers.ContentType is { } type)
            {
                http.Response.ContentType = type.ToString();
            }
            if (response.Content.Headers.ContentLength is { } length)
            {
                http.Response.ContentLength = length;
            }
            await response.Content.CopyToAsync(http.Response.Body, http.RequestAborted).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (!http.Response.HasStarted)
        {
            await Results.Problem(statusCode: StatusCodes.Status502BadGateway, title: "the leader did not answer",
                detail: string.Create(CultureInfo.InvariantCulture, $"{leader}: {e.Message}")).ExecuteAsync(http).ConfigureAwait(false);
        }
    }

    /// <summary>True when the request carries the cluster's token as a bearer credential.</summary>
    public static bool Authorized(HttpRequest request, string token)
    {
        string header = request.Headers.Authorization.ToString();
        const string Bearer = "Bearer ";
        return header.StartsWith(Bearer, StringComparison.Ordinal)
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[Bearer.Length..].Trim()), Encoding.UTF8.GetBytes(token));
    }

    public void Dispose() => _http.Dispose();
}
