using System.Globalization;
using Colony.Client.FileSystem;
using Colony.Client.Blocks;
using Colony.Node.Hosting;
using Colony.Node.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;

namespace Colony.Node.FileSystem;

/// <summary>
/// File bytes over HTTP, so curl and a browser reach files: <c>GET /api/fs/content?path=</c> downloads (with
/// single byte ranges, 206 and 416 as RFC 9110 says), <c>PUT /api/fs/content?path=</c> uploads with a
/// token. Any node serves them by acting as a file-system client of its own cluster, as the caller (its own
/// token goes on to the leader, which checks the permissions): bytes go straight between this node and the
/// data nodes, a piece at a time, never whole in memory.
/// </summary>
internal static partial class FsEndpoints
{
    public const string ContentPath = "/api/fs/content";
    private const int CopyBuffer = 256 * 1024;

    private static void MapContent(WebApplication app, Authenticator authenticator)
    {
        var options = app.Services.GetRequiredService<NodeOptions>();
        var tls = app.Services.GetRequiredService<NodeTls>();
        // The node's own HTTP address: namespace calls go through the usual forwarding to the leader.
        // No token of its own: every request is served as its caller (As below), never as the cluster.
        var client = new ColonyFileSystem([SelfAddress(options.Http)], (string?)null, new ColonyFileSystemOptions
        {
            ClientName = $"http-node-{options.NodeId}",
            LocalDataNode = options.DataTransfer,
            Tls = tls.HttpTrust,
            Transfer = new BlockTransferOptions { Tls = tls.Peers },
        });

        ColonyFileSystem As(HttpContext http) => client.As(BearerOf(http.Request), authenticator.Identify(http.Request)!.User);

        app.MapMethods(ContentPath, [HttpMethods.Get, HttpMethods.Head], async (HttpContext http, string? path) =>
        {
            if (string.IsNullOrEmpty(path))
            {
                return BadRequest("path is required");
            }
            using var caller = As(http);
            FsFileStatus? status;
            try
            {
                status = await caller.StatAsync(path, http.RequestAborted).ConfigureAwait(false);
            }
            catch (FsException e)
            {
                return Refused(e); // a bad path, or no leader
            }
            if (status is null)
            {
                return NotFound(path);
            }
            if (status.IsDirectory)
            {
                return BadRequest($"{path} is a directory");
            }
            // Opening asks the leader where the blocks are, which needs read permission: refused before any header is set.
            Stream stream;
            try
            {
                stream = await caller.OpenReadAsync(path, http.RequestAborted).ConfigureAwait(false);
            }
            catch (FsException e)
            {
                return Refused(e);
            }
            await using var opened = stream.ConfigureAwait(false);
            // Changes whenever the bytes can: a file's length and modification time move with every write.
            var etag = new EntityTagHeaderValue($"\"{status.Length:x}-{status.ModificationTime.ToUnixTimeMilliseconds():x}\"");
            var response = http.Response;
            response.Headers.ETag = etag.ToString();
            response.Headers.AcceptRanges = "bytes";
            response.Headers.LastModified = status.ModificationTime.ToString("R", CultureInfo.InvariantCulture);
            if (http.Request.Headers.IfNoneMatch.ToString() == etag.ToString())
            {
                return Results.StatusCode(StatusCodes.Status304NotModified);
            }
            long start = 0, length = status.Length;
            var range = RangeOf(http.Request, etag, status.Length);
            if (range is { Unsatisfiable: true })
            {
                response.Headers.ContentRange = $"bytes */{status.Length}";
                return Results.Problem(statusCode: StatusCodes.Status416RangeNotSatisfiable, title: "range not satisfiable",
                    detail: $"{path} is {status.Length} bytes");
            }
            if (range is { } r)
            {
                (start, length) = (r.Start, r.Length);
                response.StatusCode = StatusCodes.Status206PartialContent;
                response.Headers.ContentRange = $"bytes {start}-{start + length - 1}/{status.Length}";
            }
            response.ContentType = "application/octet-stream";
            response.ContentLength = length;
            if (HttpMethods.IsHead(http.Request.Method) || length == 0)
            {
                return Results.Empty;
            }
            stream.Seek(start, SeekOrigin.Begin);
            await CopyAsync(stream, response.Body, length, http.RequestAborted).ConfigureAwait(false);
            return Results.Empty;
        });

        app.MapPut(ContentPath, async (HttpContext http, string? path, short? replication, long? blockSize, bool? overwrite) =>
        {
            if (string.IsNullOrEmpty(path))
            {
                return BadRequest("path is required");
            }
            // Files are larger than Kestrel's default request cap; the body is streamed, so no cap is needed.
            if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } cap)
            {
                cap.MaxRequestBodySize = null;
            }
            var create = new FsCreateOptions { Replication = replication ?? 0, BlockSize = blockSize ?? 0, Overwrite = overwrite ?? false };
            using var caller = As(http);
            FileWriteStream file;
            try
            {
                file = (FileWriteStream)await caller.CreateAsync(path, create, http.RequestAborted).ConfigureAwait(false);
            }
            catch (FsException e)
            {
                return Refused(e); // a bad path, an existing file, no leader: nothing was stored
            }
            long received;
            try
            {
                received = await CopyAsync(http.Request.Body, file, long.MaxValue, http.RequestAborted).ConfigureAwait(false);
                if (http.Request.ContentLength is { } expected && expected != received)
                {
                    throw new IOException($"the body ended after {received} of {expected} bytes");
                }
                await file.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or HttpRequestException)
            {
                // A broken-off upload must not leave a short file looking complete.
                await file.AbortAsync().ConfigureAwait(false);
                return Results.Problem(statusCode: e is FsException { StatusCode: >= 400 and < 600 } fs ? fs.StatusCode : StatusCodes.Status400BadRequest,
                    title: "upload failed; nothing was kept", detail: e.Message);
            }
            return Results.Json(new FsUploadView(path, received), FsJson.Default.FsUploadView, statusCode: StatusCodes.Status201Created);
        });
    }

    /// <summary>The bearer token a request carries, passed on as it came; null when there is none.</summary>
    private static string? BearerOf(HttpRequest request)
    {
        string header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
    }

    /// <summary>Where this node reaches its own HTTP port: a wildcard listen address becomes loopback.</summary>
    private static Uri SelfAddress(string http)
    {
        var builder = new UriBuilder(http.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal));
        if (builder.Host is "0.0.0.0" or "[::]" or "::")
        {
            builder.Host = builder.Host == "0.0.0.0" ? "127.0.0.1" : "[::1]";
        }
        return builder.Uri;
    }

    /// <summary>The cluster's refusal, passed on with its own status and words.</summary>
    private static IResult Refused(FsException e) =>
        Results.Problem(statusCode: e.StatusCode is >= 400 and < 600 ? e.StatusCode : StatusCodes.Status502BadGateway, title: e.Error, detail: e.Message);

    private static async Task<long> CopyAsync(Stream source, Stream destination, long limit, CancellationToken cancellationToken)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(CopyBuffer);
        try
        {
            long copied = 0;
            while (copied < limit)
            {
                int read = await source.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, limit - copied)), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }
                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                copied += read;
            }
            return copied;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>A request's byte range, resolved against the file's length.</summary>
    private readonly record struct ByteRange(long Start, long Length, bool Unsatisfiable);

    /// <summary>
    /// The one range a request asks for, or null for the whole file: no Range header, a malformed one, several
    /// ranges (served whole, as RFC 9110 allows), or an If-Range that no longer matches.
    /// </summary>
    private static ByteRange? RangeOf(HttpRequest request, EntityTagHeaderValue etag, long length)
    {
        string header = request.Headers.Range.ToString();
        if (header.Length == 0 || !RangeHeaderValue.TryParse(header, out var parsed)
            || !parsed.Unit.Equals("bytes", StringComparison.OrdinalIgnoreCase) || parsed.Ranges.Count != 1)
        {
            return null;
        }
        string ifRange = request.Headers.IfRange.ToString();
        if (ifRange.Length > 0 && ifRange != etag.ToString())
        {
            return null;
        }
        var only = parsed.Ranges.First();
        long start, end;
        if (only.From is { } from)
        {
            start = from;
            end = Math.Min(only.To ?? length - 1, length - 1);
        }
        else if (only.To is { } suffix && suffix > 0)
        {
            start = Math.Max(0, length - suffix);
            end = length - 1;
        }
        else
        {
            return new ByteRange(0, 0, Unsatisfiable: true);
        }
        return start >= length || end < start ? new ByteRange(0, 0, Unsatisfiable: true) : new ByteRange(start, end - start + 1, false);
    }
}
