using System.Net;

namespace Colony.LoadDriver;

/// <summary>One HTTP/1.1 client shared by all proposers, with a keep-alive connection per proposer.</summary>
internal static class LoadClient
{
    public static HttpClient Create(DriverOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            // HTTP/1.1 carries one request at a time per connection: every proposer needs its own.
            MaxConnectionsPerServer = options.Proposers + 8,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
        };
        var client = new HttpClient(handler, disposeHandler: true)
        {
            DefaultRequestVersion = HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = TimeSpan.FromSeconds(options.RequestTimeoutSeconds),
        };
        if (options.Token is { } token)
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }
        return client;
    }
}
