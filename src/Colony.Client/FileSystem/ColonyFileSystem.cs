using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Serialization.Metadata;
using Colony.Client.Blocks;
using Colony.Core;

namespace Colony.Client.FileSystem;

/// <summary>Who a client is and how it moves data.</summary>
public sealed record ColonyFileSystemOptions
{
    /// <summary>The lease holder's name for files this client writes; unique per client by default.</summary>
    public string ClientName { get; init; } = $"colony-client-{Guid.NewGuid():N}";

    /// <summary>The user files and trash belong to.</summary>
    public string User { get; init; } = Environment.UserName is { Length: > 0 } user ? user : "colony";

    /// <summary>The block transfer address of a data node on this client's machine: it gets the first replica and serves reads first.</summary>
    public string? LocalDataNode { get; init; }

    /// <summary>
    /// The finalized-replica directory (<c>DATA/blocks/finalized</c>) of <see cref="LocalDataNode"/>. When set, that
    /// node's replicas are read straight from its files (a short-circuit read), still verified chunk by chunk.
    /// </summary>
    public string? LocalBlockDirectory { get; init; }

    /// <summary>
    /// The cluster's CA (and this client's certificate) for https node addresses; null trusts the
    /// system's roots. Block transfers take theirs from <see cref="BlockTransferOptions.Tls"/> in <see cref="Transfer"/>.
    /// </summary>
    public Security.ClusterTrust? Tls { get; init; }

    /// <summary>Packet size, window and timeouts of block transfers.</summary>
    public BlockTransferOptions Transfer { get; init; } = new();

    /// <summary>How long a call keeps retrying while the cluster has no leader.</summary>
    public TimeSpan LeaderWait { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How often an open writer renews its lease.</summary>
    public TimeSpan LeaseRenewal { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Opens every TCP connection this client makes, to nodes' HTTP ports and to data nodes, and returns
    /// the connected socket; null (the default): direct connections. See <see cref="ZooKeeperClientOptions.ConnectCallback"/>.
    /// </summary>
    public Func<DnsEndPoint, CancellationToken, ValueTask<System.Net.Sockets.Socket>>? ConnectCallback { get; init; }
}

/// <summary>
/// The file system of a Colony cluster: namespace calls over HTTP to any node (a node that does not lead
/// forwards to the one that does), file bytes straight to and from the data nodes through the block
/// transfer protocol.
/// </summary>
public sealed class ColonyFileSystem : IDisposable
{
    private readonly IReadOnlyList<Uri> _nodes;
    private readonly HttpClient _http;
    private readonly AuthenticationHeaderValue? _authorization;
    private readonly bool _ownsConnections = true;
    private int _preferred;

    /// <param name="nodes">HTTP addresses of cluster members; any one that answers will do.</param>
    /// <param name="secret">The cluster secret (the cluster token is its base64); changes are refused without a token.</param>
    public ColonyFileSystem(IReadOnlyList<Uri> nodes, byte[]? secret, ColonyFileSystemOptions? options = null)
        : this(nodes, secret is null ? null : Convert.ToBase64String(secret), options)
    {
    }

    /// <param name="nodes">HTTP addresses of cluster members; any one that answers will do.</param>
    /// <param name="token">The bearer token: the cluster token or a user's. Without one, reads are anonymous and changes are refused.</param>
    public ColonyFileSystem(IReadOnlyList<Uri> nodes, string? token, ColonyFileSystemOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        if (nodes.Count == 0)
        {
            throw new ArgumentException("at least one node address is needed", nameof(nodes));
        }
        _nodes = nodes;
        Options = options ?? new ColonyFileSystemOptions();
        _http = new HttpClient(Security.ClusterTrust.HttpHandler(Options.Tls, Options.ConnectCallback)) { Timeout = TimeSpan.FromSeconds(60) };
        _authorization = token is null ? null : new AuthenticationHeaderValue("Bearer", token);
        var transfer = Options.Transfer;
        Transfers = new BlockTransferClient(new BlockTransferOptions
        {
            PacketSize = transfer.PacketSize, Window = transfer.Window, ChunkSize = transfer.ChunkSize,
            ConnectTimeout = transfer.ConnectTimeout, ReadTimeout = transfer.ReadTimeout, IdleTimeout = transfer.IdleTimeout, MaxConnections = transfer.MaxConnections,
            ClientName = Options.ClientName, Tls = transfer.Tls, ConnectCallback = Options.ConnectCallback ?? transfer.ConnectCallback,
        });
        if (Options is { LocalDataNode: { } self, LocalBlockDirectory: { } blocks })
        {
            LocalReplicas = new LocalReplicaReader(self, blocks);
        }
    }

    /// <summary>A client sharing this one's connections that acts as another caller: what a node uses to serve a request as its caller.</summary>
    private ColonyFileSystem(ColonyFileSystem shared, string? token, string user)
    {
        _nodes = shared._nodes;
        _http = shared._http;
        _ownsConnections = false;
        _authorization = token is null ? null : new AuthenticationHeaderValue("Bearer", token);
        Options = shared.Options with { User = user };
        Transfers = shared.Transfers;
        LocalReplicas = shared.LocalReplicas;
    }

    /// <summary>
    /// This client's connections, acting as the caller <paramref name="token"/> names (anonymous when null) and
    /// creating files for <paramref name="user"/>. Disposing it leaves this client's connections open.
    /// </summary>
    public ColonyFileSystem As(string? token, string user) => new(this, token, user);

    public ColonyFileSystemOptions Options { get; }

    internal BlockTransferClient Transfers { get; }

    /// <summary>Reads the local data node's replicas from its files; null unless both local options are set.</summary>
    internal LocalReplicaReader? LocalReplicas { get; }

    /// <summary>Bytes this client read straight from a local replica's files rather than over the network.</summary>
    public long LocalBytesRead => LocalReplicas?.BytesRead ?? 0;

    /// <summary>The file or directory at <paramref name="path"/>, or null if there is none.</summary>
    public async Task<FsFileStatus?> StatAsync(string path, CancellationToken cancellationToken = default)
    {
        try
        {
            return await GetAsync($"stat?path={Escape(path)}", FsClientJson.Default.FsFileStatus, cancellationToken).ConfigureAwait(false);
        }
        catch (FsException e) when (e.IsNotFound)
        {
            return null;
        }
    }

    /// <summary>A directory's entries in name order (a file lists itself).</summary>
    public async Task<IReadOnlyList<FsFileStatus>> ListAsync(string path, CancellationToken cancellationToken = default) =>
        (await GetAsync($"list?path={Escape(path)}", FsClientJson.Default.ListingResponse, cancellationToken).ConfigureAwait(false)).Entries;

    public Task<FsSummary> SummarizeAsync(string path, CancellationToken cancellationToken = default) =>
        GetAsync($"du?path={Escape(path)}", FsClientJson.Default.FsSummary, cancellationToken);

    /// <summary>The health of every block under <paramref name="path"/>; with <paramref name="locations"/>, every block's replica addresses too.</summary>
    public Task<FsckResult> FsckAsync(string path = "/", CancellationToken cancellationToken = default, bool locations = false) =>
        GetAsync($"fsck?path={Escape(path)}{(locations ? "&locations=true" : "")}", FsClientJson.Default.FsckResult, cancellationToken);

    /// <summary>The data nodes the leader knows, with their state and space.</summary>
    public async Task<IReadOnlyList<FsDataNode>> DataNodesAsync(CancellationToken cancellationToken = default) =>
        await GetAsync("datanodes", FsClientJson.Default.FsDataNodeArray, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Drains data node <paramref name="node"/>: its replicas are copied elsewhere, then it is decommissioned and
    /// may be stopped. Recorded in the replicated state, so a new leader carries the drain on.
    /// </summary>
    public Task DecommissionAsync(ulong node, CancellationToken cancellationToken = default) =>
        PostAsync($"decommission?node={node}", new FsRequest(), cancellationToken);

    /// <summary>
    /// Asks the leader for a balancer pass now: when no move is running and disk use differs by more than
    /// <paramref name="thresholdPercent"/> points (default: the cluster's setting), it starts moves. Call again to follow them.
    /// </summary>
    public Task<FsBalance> BalanceAsync(double? thresholdPercent = null, CancellationToken cancellationToken = default) =>
        PostAsync(thresholdPercent is { } p ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"balance?threshold={p}") : "balance",
            new FsRequest(), FsClientJson.Default.FsBalance, cancellationToken);

    /// <summary>Ends a drain: data node <paramref name="node"/> takes new replicas again and its replicas count.</summary>
    public Task RecommissionAsync(ulong node, CancellationToken cancellationToken = default) =>
        PostAsync($"recommission?node={node}", new FsRequest(), cancellationToken);

    /// <summary><c>mkdir -p</c>.</summary>
    public Task<FsChange> MkdirsAsync(string path, string? mode = null, CancellationToken cancellationToken = default) =>
        ChangeAsync("mkdirs", new FsRequest { Path = path, Mode = mode, User = Options.User }, cancellationToken);

    /// <summary>Moves <paramref name="source"/> to <paramref name="destination"/> (into it, when it is a directory).</summary>
    public Task<FsChange> RenameAsync(string source, string destination, CancellationToken cancellationToken = default) =>
        ChangeAsync("rename", new FsRequest { Path = source, Destination = destination }, cancellationToken);

    /// <summary>Deletes to the user's trash, or for good with <paramref name="skipTrash"/>.</summary>
    public Task<FsChange> DeleteAsync(string path, bool recursive = false, bool skipTrash = false, CancellationToken cancellationToken = default) =>
        ChangeAsync("delete", new FsRequest { Path = path, Recursive = recursive, SkipTrash = skipTrash, User = Options.User }, cancellationToken);

    public Task<FsChange> SetReplicationAsync(string path, short replication, CancellationToken cancellationToken = default) =>
        ChangeAsync("set-replication", new FsRequest { Path = path, Replication = replication }, cancellationToken);

    /// <summary><c>chmod</c>: sets the permission bits, given in octal (e.g. "750", "1777"). Only the owner or an administrator may.</summary>
    public Task<FsChange> SetPermissionAsync(string path, string mode, CancellationToken cancellationToken = default) =>
        ChangeAsync("chmod", new FsRequest { Path = path, Mode = mode }, cancellationToken);

    /// <summary><c>chown</c>: sets the owner and/or group (a null one is left). Only an administrator may.</summary>
    public Task<FsChange> SetOwnerAsync(string path, string? owner, string? group, CancellationToken cancellationToken = default) =>
        ChangeAsync("chown", new FsRequest { Path = path, User = owner, Group = group }, cancellationToken);

    /// <summary>
    /// Creates a file and returns the stream that writes it. Bytes are durable on every replica only once the
    /// stream is disposed without error; until then the file is under construction and leased to this client.
    /// </summary>
    public async Task<Stream> CreateAsync(string path, FsCreateOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new FsCreateOptions();
        var created = await PostAsync("create", new FsRequest
        {
            Path = path, Holder = Options.ClientName, User = Options.User, Mode = options.Mode,
            Replication = options.Replication, BlockSize = options.BlockSize, Overwrite = options.Overwrite,
        }, FsClientJson.Default.CreatedResponse, cancellationToken).ConfigureAwait(false);
        int width = options.Ack switch
        {
            FsAck.One => 1,
            FsAck.Quorum => (created.Replication / 2) + 1,
            _ => created.Replication,
        };
        return new FileWriteStream(this, path, created.BlockSize, width);
    }

    /// <summary>Opens a complete file for reading: a seekable stream whose every byte is verified.</summary>
    public async Task<Stream> OpenReadAsync(string path, CancellationToken cancellationToken = default)
    {
        var locations = await LocateAsync(path, cancellationToken).ConfigureAwait(false);
        return new FileReadStream(this, path, locations);
    }

    internal Task<LocationsResponse> LocateAsync(string path, CancellationToken cancellationToken)
    {
        string reader = Options.LocalDataNode is { } local ? $"&reader={Escape(local)}" : "";
        return GetAsync($"locations?path={Escape(path)}{reader}", FsClientJson.Default.LocationsResponse, cancellationToken);
    }

    internal async Task ReportCorruptAsync(string node, BlockVersion version)
    {
        try
        {
            await SendAsync(HttpMethod.Post, "report-corrupt", new FsRequest { Node = node, BlockId = version.Id.Value, Stamp = version.Stamp.Value }, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FsException or HttpRequestException)
        {
            // Best effort: the scrubber finds it anyway.
        }
    }

    internal Task<FsChange> ChangeAsync(string call, FsRequest request, CancellationToken cancellationToken) =>
        PostAsync(call, request, FsClientJson.Default.FsChange, cancellationToken);

    internal async Task<T> PostAsync<T>(string call, FsRequest request, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, call, request, cancellationToken).ConfigureAwait(false);
        return (await response.Content.ReadFromJsonAsync(type, cancellationToken).ConfigureAwait(false))!;
    }

    internal async Task PostAsync(string call, FsRequest request, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, call, request, cancellationToken).ConfigureAwait(false);
    }

    private async Task<T> GetAsync<T>(string call, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, call, null, cancellationToken).ConfigureAwait(false);
        return (await response.Content.ReadFromJsonAsync(type, cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>
    /// Sends one call, moving to the next node when one cannot be reached and waiting while the cluster has no
    /// leader (503: nothing was proposed, so a retry is safe). Any other refusal is an <see cref="FsException"/>.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string call, FsRequest? body, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + Options.LeaderWait;
        int attempt = 0;
        while (true)
        {
            int index = (Volatile.Read(ref _preferred) + attempt) % _nodes.Count;
            using var request = new HttpRequestMessage(method, new Uri(_nodes[index], "/api/fs/" + call));
            request.Headers.Authorization = _authorization;
            if (body is not null)
            {
                request.Content = JsonContent.Create(body, FsClientJson.Default.FsRequest);
            }
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
            if (response.IsSuccessStatusCode)
            {
                Volatile.Write(ref _preferred, index);
                return response;
            }
            using (response)
            {
                var problem = await ReadProblemAsync(response, cancellationToken).ConfigureAwait(false);
                if (response.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.BadGateway && DateTimeOffset.UtcNow < deadline)
                {
                    attempt++;
                    await Task.Delay(200, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                throw new FsException((int)response.StatusCode, problem?.Title ?? response.StatusCode.ToString(), Describe(call, response.StatusCode, problem));
            }
        }
    }

    /// <summary>The server's explanation: an error name (NotFound) needs only its detail, a sentence goes in front of it.</summary>
    private static string Describe(string call, HttpStatusCode status, ProblemResponse? problem) => problem switch
    {
        { Title: { } title, Detail: { } detail } when title.Contains(' ', StringComparison.Ordinal) => $"{title}: {detail}",
        { Detail: { } detail } => detail,
        { Title: { } title } => title,
        _ => $"{call}: HTTP {(int)status}",
    };

    private static async Task<ProblemResponse?> ReadProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync(FsClientJson.Default.ProblemResponse, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or NotSupportedException or InvalidOperationException)
        {
            return null;
        }
    }

    private static string Escape(string value) => Uri.EscapeDataString(value);

    public void Dispose()
    {
        if (_ownsConnections)
        {
            _http.Dispose();
            Transfers.Dispose();
        }
    }
}
