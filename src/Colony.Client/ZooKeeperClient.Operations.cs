using Colony.Coordination;
using Colony.Coordination.Protocol;

namespace Colony.Client;

// The data operations. Paths are validated before anything is sent; every path the caller sees is
// relative to the chroot.
public sealed partial class ZooKeeperClient
{
    /// <summary>Creates a node and returns its path (with the sequence suffix for sequential modes).</summary>
    /// <param name="ttl">For the TTL modes only: milliseconds the node may stay unmodified and childless before the server deletes it.</param>
    public async Task<string> CreateAsync(string path, byte[]? data, IReadOnlyList<Acl> acl, CreateMode mode = CreateMode.Persistent, long? ttl = null, CancellationToken cancellationToken = default) =>
        (await CreateCoreAsync(path, data, acl, mode, ttl, withStat: false, cancellationToken).ConfigureAwait(false)).Path;

    /// <summary>Creates a node (create2) and returns its path and its new <see cref="Stat"/>.</summary>
    public Task<(string Path, Stat Stat)> CreateWithStatAsync(string path, byte[]? data, IReadOnlyList<Acl> acl, CreateMode mode = CreateMode.Persistent, long? ttl = null, CancellationToken cancellationToken = default) =>
        CreateCoreAsync(path, data, acl, mode, ttl, withStat: true, cancellationToken);

    /// <summary>Deletes a node; <paramref name="version"/> -1 matches any version.</summary>
    public Task DeleteAsync(string path, int version = -1, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        return SendAsync(OpCode.Delete, new DeleteRequest(ServerPath(path), version), Empty(path), cancellationToken);
    }

    /// <summary>The node's stat, or null when it does not exist. With <paramref name="watch"/>, the default watcher hears of its creation, change or deletion.</summary>
    public Task<Stat?> ExistsAsync(string path, bool watch = false, CancellationToken cancellationToken = default) =>
        ExistsAsync(path, DefaultWatcherIf(watch), cancellationToken);

    /// <summary>The node's stat, or null; <paramref name="watcher"/> (if any) fires once when the node is created, changed or deleted.</summary>
    public Task<Stat?> ExistsAsync(string path, Watcher? watcher, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        return SendAsync(OpCode.Exists, new ExistsRequest(ServerPath(path), watcher is not null), (in ReplyHeader header, ReadOnlySpan<byte> body) =>
        {
            if (header.Err == ErrorCode.NoNode)
            {
                Watch(WatchKind.Exist, path, watcher);
                return null;
            }
            Stat stat = Decode<ExistsResponse>(header, body, path).Stat;
            Watch(WatchKind.Data, path, watcher);
            return (Stat?)stat;
        }, cancellationToken);
    }

    public Task<(byte[] Data, Stat Stat)> GetDataAsync(string path, bool watch = false, CancellationToken cancellationToken = default) =>
        GetDataAsync(path, DefaultWatcherIf(watch), cancellationToken);

    /// <summary>The node's data and stat; <paramref name="watcher"/> (if any) fires once when the data changes or the node is deleted.</summary>
    public Task<(byte[] Data, Stat Stat)> GetDataAsync(string path, Watcher? watcher, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        return SendAsync(OpCode.GetData, new GetDataRequest(ServerPath(path), watcher is not null), (in ReplyHeader header, ReadOnlySpan<byte> body) =>
        {
            var response = Decode<GetDataResponse>(header, body, path);
            Watch(WatchKind.Data, path, watcher);
            return (response.Data ?? [], response.Stat);
        }, cancellationToken);
    }

    /// <summary>Replaces the node's data if its version matches (-1 matches any) and returns the new stat.</summary>
    public Task<Stat> SetDataAsync(string path, byte[]? data, int version = -1, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        return SendAsync(OpCode.SetData, new SetDataRequest(ServerPath(path), data, version),
            (in ReplyHeader header, ReadOnlySpan<byte> body) => Decode<SetDataResponse>(header, body, path).Stat, cancellationToken);
    }

    public Task<(IReadOnlyList<Acl> Acl, Stat Stat)> GetAclAsync(string path, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        return SendAsync(OpCode.GetAcl, new GetAclRequest(ServerPath(path)), (in ReplyHeader header, ReadOnlySpan<byte> body) =>
        {
            var response = Decode<GetAclResponse>(header, body, path);
            return (response.Acls, response.Stat);
        }, cancellationToken);
    }

    /// <summary>Replaces the node's ACL if its ACL version matches (-1 matches any) and returns the new stat.</summary>
    public Task<Stat> SetAclAsync(string path, IReadOnlyList<Acl> acl, int aclVersion = -1, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        ValidateAcl(acl, path);
        return SendAsync(OpCode.SetAcl, new SetAclRequest(ServerPath(path), acl, aclVersion),
            (in ReplyHeader header, ReadOnlySpan<byte> body) => Decode<SetAclResponse>(header, body, path).Stat, cancellationToken);
    }

    public Task<IReadOnlyList<string>> GetChildrenAsync(string path, bool watch = false, CancellationToken cancellationToken = default) =>
        GetChildrenAsync(path, DefaultWatcherIf(watch), cancellationToken);

    /// <summary>The names (not paths) of the node's children; <paramref name="watcher"/> (if any) fires once when the list changes or the node is deleted.</summary>
    public Task<IReadOnlyList<string>> GetChildrenAsync(string path, Watcher? watcher, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        return SendAsync(OpCode.GetChildren, new GetChildrenRequest(ServerPath(path), watcher is not null), (in ReplyHeader header, ReadOnlySpan<byte> body) =>
        {
            var response = Decode<GetChildrenResponse>(header, body, path);
            Watch(WatchKind.Child, path, watcher);
            return response.Children;
        }, cancellationToken);
    }

    /// <summary>getChildren2: the children's names and the parent's stat.</summary>
    public Task<(IReadOnlyList<string> Children, Stat Stat)> GetChildrenWithStatAsync(string path, Watcher? watcher = null, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        return SendAsync(OpCode.GetChildren2, new GetChildren2Request(ServerPath(path), watcher is not null), (in ReplyHeader header, ReadOnlySpan<byte> body) =>
        {
            var response = Decode<GetChildren2Response>(header, body, path);
            Watch(WatchKind.Child, path, watcher);
            return (response.Children, response.Stat);
        }, cancellationToken);
    }

    /// <summary>How many descendants the node has, at every depth.</summary>
    public Task<int> GetAllChildrenNumberAsync(string path, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        return SendAsync(OpCode.GetAllChildrenNumber, new GetAllChildrenNumberRequest(ServerPath(path)),
            (in ReplyHeader header, ReadOnlySpan<byte> body) => Decode<GetAllChildrenNumberResponse>(header, body, path).TotalNumber, cancellationToken);
    }

    /// <summary>This session's ephemeral nodes whose paths start with <paramref name="prefixPath"/> ("/" for all).</summary>
    public Task<IReadOnlyList<string>> GetEphemeralsAsync(string prefixPath = ZooKeeperPath.Root, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(prefixPath, parameterName: nameof(prefixPath));
        return SendAsync(OpCode.GetEphemerals, new GetEphemeralsRequest(ServerPath(prefixPath)), (in ReplyHeader header, ReadOnlySpan<byte> body) =>
            (IReadOnlyList<string>)[.. Decode<GetEphemeralsResponse>(header, body, prefixPath).Ephemerals.Select(connectString.ToClientPath)], cancellationToken);
    }

    /// <summary>Waits until the server this client talks to has caught up with the leader, so later reads see every write committed before now.</summary>
    public Task SyncAsync(string path = ZooKeeperPath.Root, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        return SendAsync(OpCode.Sync, new SyncRequest(ServerPath(path)), Empty(path), cancellationToken);
    }

    /// <summary>
    /// Adds credentials to the session (e.g. scheme "digest", "user:password" in UTF-8). They are
    /// re-sent after every reconnect. Rejected credentials end the session with
    /// <see cref="KeeperState.AuthFailed"/> and this call throws <see cref="AuthFailedException"/>.
    /// </summary>
    public async Task AddAuthAsync(string scheme, byte[] auth, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(scheme);
        ArgumentNullException.ThrowIfNull(auth);
        var request = new PendingRequest<bool>(OpCode.Auth, AuthReply, onDone: null, continuations.Inline);
        while (true)
        {
            ClientConnection current = await WaitConnectedAsync(cancellationToken).ConfigureAwait(false);
            lock (gate)
            {
                if (connection != current)
                {
                    continue;
                }
                credentials.Add((scheme, (byte[])auth.Clone()));
                SendAuth(current, scheme, auth, request);
                break;
            }
        }
        await request.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The identities the server has authenticated this session as.</summary>
    public Task<IReadOnlyList<ClientInfo>> WhoAmIAsync(CancellationToken cancellationToken = default) =>
        SendAsync(OpCode.WhoAmI, EmptyRequest.Instance,
            (in ReplyHeader header, ReadOnlySpan<byte> body) => Decode<WhoAmIResponse>(header, body, null).ClientInfo, cancellationToken);

    /// <summary>A multi-operation transaction: every operation applies, or none does.</summary>
    public Transaction Transaction() => new(this);

    /// <summary>
    /// Several reads in one round trip, answered from one point in time. Each result is a
    /// <see cref="GetDataResult"/>, a <see cref="GetChildrenResult"/> or, for a read that failed,
    /// an <see cref="ErrorResult"/>.
    /// </summary>
    public Task<IReadOnlyList<OpResult>> MultiReadAsync(IEnumerable<ReadOp> reads, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reads);
        var ops = new List<MultiOp>();
        foreach (ReadOp read in reads)
        {
            ZooKeeperPath.Validate(read.Path, parameterName: nameof(reads));
            ops.Add(read.Children
                ? new MultiOp(OpCode.GetChildren, new GetChildrenRequest(ServerPath(read.Path), false))
                : new MultiOp(OpCode.GetData, new GetDataRequest(ServerPath(read.Path), false)));
        }
        if (ops.Count == 0)
        {
            return Task.FromResult<IReadOnlyList<OpResult>>([]);
        }
        return SendAsync(OpCode.MultiRead, new MultiRequest(ops),
            (in ReplyHeader header, ReadOnlySpan<byte> body) => Decode<MultiResponse>(header, body, null).Results, cancellationToken);
    }

    /// <summary>Sends a multi built by <see cref="Client.Transaction"/>; throws <see cref="TransactionFailedException"/> with every op's result when one fails.</summary>
    internal Task<IReadOnlyList<OpResult>> CommitAsync(IReadOnlyList<MultiOp> ops, IReadOnlyList<string> clientPaths, CancellationToken cancellationToken)
    {
        if (ops.Count == 0)
        {
            return Task.FromResult<IReadOnlyList<OpResult>>([]);
        }
        return SendAsync(OpCode.Multi, new MultiRequest(ops), (in ReplyHeader header, ReadOnlySpan<byte> body) =>
        {
            if (header.Err != ErrorCode.Ok && body.IsEmpty)
            {
                throw ZooKeeperException.Create(header.Err);
            }
            var reader = new JuteReader(body);
            IReadOnlyList<OpResult> results = [.. MultiResponse.Read(ref reader).Results.Select(ToClientResult)];
            for (int i = 0; i < results.Count; i++)
            {
                if (results[i] is ErrorResult { Err: not ErrorCode.Ok and not ErrorCode.RuntimeInconsistency } failed)
                {
                    throw new TransactionFailedException(failed.Err, i < clientPaths.Count ? clientPaths[i] : null, i, results);
                }
            }
            return header.Err == ErrorCode.Ok ? results : throw ZooKeeperException.Create(header.Err);
        }, cancellationToken);
    }

    internal string ServerPath(string clientPath) => connectString.ToServerPath(clientPath);

    internal static void ValidateAcl(IReadOnlyList<Acl>? acl, string path)
    {
        // The server would answer InvalidAcl; say so without the round trip.
        if (acl is null || acl.Count == 0)
        {
            throw new InvalidAclException(path);
        }
    }

    internal static void ValidateCreate(string path, IReadOnlyList<Acl> acl, CreateMode mode, long? ttl)
    {
        if (!mode.IsDefined())
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "not a create mode");
        }
        ZooKeeperPath.Validate(path, mode.IsSequential());
        ValidateAcl(acl, path);
        if (mode.IsTtl() != ttl.HasValue)
        {
            throw new ArgumentException(mode.IsTtl() ? $"{mode} needs a ttl." : $"A ttl needs a TTL create mode, not {mode}.", nameof(ttl));
        }
        if (ttl is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(ttl), ttl, "a ttl is a positive number of milliseconds");
        }
    }

    /// <summary>The wire form of a create: create or create2, createContainer, or createTTL.</summary>
    internal MultiOp CreateOp(string path, byte[]? data, IReadOnlyList<Acl> acl, CreateMode mode, long? ttl, bool withStat)
    {
        string serverPath = ServerPath(path);
        if (mode.IsTtl())
        {
            return new MultiOp(OpCode.CreateTtl, new CreateTtlRequest(serverPath, data, acl, mode, ttl!.Value));
        }
        OpCode type = mode.IsContainer() ? OpCode.CreateContainer : withStat ? OpCode.Create2 : OpCode.Create;
        return new MultiOp(type, new CreateRequest(serverPath, data, acl, mode));
    }

    private Task<(string Path, Stat Stat)> CreateCoreAsync(string path, byte[]? data, IReadOnlyList<Acl> acl, CreateMode mode, long? ttl, bool withStat, CancellationToken cancellationToken)
    {
        ValidateCreate(path, acl, mode, ttl);
        MultiOp op = CreateOp(path, data, acl, mode, ttl, withStat);
        return SendAsync(op.Type, op.Request, (in ReplyHeader header, ReadOnlySpan<byte> body) =>
        {
            if (op.Type == OpCode.Create)
            {
                return (connectString.ToClientPath(Decode<CreateResponse>(header, body, path).Path), default(Stat));
            }
            var response = Decode<Create2Response>(header, body, path);
            return (connectString.ToClientPath(response.Path), response.Stat);
        }, cancellationToken);
    }

    private OpResult ToClientResult(OpResult result) => result switch
    {
        CreateResult create => create with { Path = connectString.ToClientPath(create.Path) },
        Create2Result create => create with { Path = connectString.ToClientPath(create.Path) },
        _ => result,
    };

    private Watcher? DefaultWatcherIf(bool watch) =>
        !watch ? null : options.DefaultWatcher ?? throw new InvalidOperationException("watch: true needs ZooKeeperClientOptions.DefaultWatcher; pass a Watcher instead.");

    /// <summary>Registers a watch the server has just accepted: on the receive loop, before any later notification is read.</summary>
    private void Watch(WatchKind kind, string path, Watcher? watcher)
    {
        if (watcher is not null)
        {
            watches.Add(kind, path, watcher);
        }
    }

    private static T Decode<T>(in ReplyHeader header, ReadOnlySpan<byte> body, string? path)
        where T : IJuteRecord<T>
    {
        if (header.Err != ErrorCode.Ok)
        {
            throw ZooKeeperException.Create(header.Err, path);
        }
        return Jute.Decode<T>(body);
    }

    private static ReplyDecoder<bool> Empty(string? path) =>
        (in ReplyHeader header, ReadOnlySpan<byte> _) => header.Err == ErrorCode.Ok ? true : throw ZooKeeperException.Create(header.Err, path);
}
