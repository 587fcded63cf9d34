using Colony.Core;
using Colony.Node.Blocks;
using Colony.Node.Hosting;
using Colony.Node.Security;
using Colony.Storage.Blocks.Transfer;
using Colony.Storage.Namespace;
using Colony.Storage.Replication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Colony.Node.FileSystem;

/// <summary>
/// The write and read path under <c>/api/fs</c>: a client creates a file, asks for each block's pipeline,
/// streams the bytes to the data nodes itself, commits each block and completes the file; a reader asks
/// where a range's blocks are and reads them from the data nodes. These run on the leader (the block
/// map lives there); the middleware forwards them like every /api/fs call.
/// </summary>
internal static partial class FsEndpoints
{
    /// <summary>Replication when the client names none.</summary>
    public const short DefaultReplication = 3;

    /// <summary>Block size when the client names none: 64 MiB.</summary>
    public const long DefaultBlockSize = 64L * 1024 * 1024;

    private const ushort DefaultFileMode = 0x1A4; // 0644

    private static void MapDataPath(WebApplication app, RouteGroupBuilder fs, NamespaceService service,
        Func<HttpRequest, string?, FsPermissionCheck, IResult?> deny, Func<HttpRequest, Caller> who)
    {
        // Writing a file's blocks is for the file's owner: the lease holder's name alone is no proof.
        var ownerOnly = new FsPermissionCheck(Owner: true);
        var manager = app.Services.GetRequiredService<BlockManager>();
        var time = app.Services.GetRequiredService<TimeProvider>();
        long Now() => time.MonotonicMs(); // the block manager's clock
        // Who passed the permission check above gets a token for just the blocks it was shown, and the data nodes check it.
        var tokens = new BlockTokens(app.Services.GetRequiredService<NodeOptions>().LoadSecret(),
            TimeSpan.FromMilliseconds(app.Services.GetRequiredService<FileSystemOptions>().BlockTokenLifetimeMs), time);
        string Token(HttpRequest http, FileBlock block, BlockAccessMode mode) => tokens.Mint(block.Version, mode, who(http).User);

        fs.MapPost("/create", async (HttpRequest http, FsWriteRequest r) =>
        {
            if ((Missing(r, holder: true) ?? deny(http, r.Path, new FsPermissionCheck(Ancestor: FsAccess.WriteExecute))
                ?? (r.Overwrite ? deny(http, r.Path, new FsPermissionCheck(Target: FsAccess.Write)) : null)) is { } bad)
            {
                return bad;
            }
            // More replicas than data nodes could never be met: ask for what exists (at least one).
            short wanted = r.Replication > 0 ? r.Replication : DefaultReplication;
            short replication = (short)Math.Clamp(manager.KnownNodeCount(Now()), 1, wanted);
            long blockSize = r.BlockSize > 0 ? r.BlockSize : DefaultBlockSize;
            string user = OwnerFor(who(http), r.User);
            var (_, failure) = await ExecuteAsync(service, new NamespaceCommand.Create(r.Path!, r.Holder!, user, user,
                ParseMode(r.Mode) ?? DefaultFileMode, replication, blockSize, r.Overwrite, true, service.Now)).ConfigureAwait(false);
            return failure ?? Results.Json(new CreatedView(r.Path!, replication, blockSize), FsJson.Default.CreatedView);
        });

        fs.MapPost("/add-block", async (HttpRequest http, FsWriteRequest r) =>
        {
            if ((Missing(r, holder: true) ?? deny(http, r.Path, ownerOnly)) is { } bad)
            {
                return bad;
            }
            if (service.Read(tree => tree.Stat(r.Path!)) is not { IsDirectory: false } file)
            {
                return NotFound(r.Path);
            }
            var excluded = new HashSet<NodeId>((r.Excluded ?? []).Select(manager.NodeAt).OfType<NodeId>());
            var writer = r.Writer is null ? null : manager.NodeAt(r.Writer);
            var targets = manager.ChooseTargets(file.Replication, writer, excluded, file.BlockSize, Now());
            if (targets.Count == 0)
            {
                return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "no data nodes",
                    detail: "no live data node has room for a block; check `colony fs fsck` and the nodes' disks");
            }
            if (file.LeaseHolder == r.Holder && service.Read(tree => tree.GetBlockLocations(r.Path!, 0, long.MaxValue)) is { UnderConstruction: { } open } range
                && (range.Blocks.Count == 0 ? 0 : range.Blocks[^1].Block.Version.Id.Value) == r.Previous)
            {
                // A retry whose first answer was lost (a node died while relaying it): nothing was written to
                // that block yet, so it can go to any pipeline; the one first chosen if this leader remembers it.
                var again = manager.TargetsOf(open.Version) ?? targets;
                return Results.Json(View(open, 0, [.. again.Select(t => t.Address)], Token(http, open, BlockAccessMode.Write)), FsJson.Default.LocatedBlockView);
            }
            var (result, failure) = await ExecuteAsync(service,
                new NamespaceCommand.AddBlock(r.Path!, r.Holder!, [.. targets.Select(t => t.Node)], service.Now)).ConfigureAwait(false);
            if (result?.Block is not { } block)
            {
                return failure!;
            }
            manager.Allocated(block.Version, targets);
            return Results.Json(View(block, 0, [.. targets.Select(t => t.Address)], Token(http, block, BlockAccessMode.Write)), FsJson.Default.LocatedBlockView);
        });

        fs.MapPost("/commit-block", async (HttpRequest http, FsWriteRequest r) =>
        {
            if ((Missing(r, holder: true) ?? deny(http, r.Path, ownerOnly)) is { } bad)
            {
                return bad;
            }
            var version = new BlockVersion(new BlockId(r.BlockId), new GenerationStamp(r.Stamp));
            var (_, failure) = await ExecuteAsync(service, new NamespaceCommand.CommitBlock(r.Path!, r.Holder!, version, r.Length, r.Checksum)).ConfigureAwait(false);
            return failure ?? Results.NoContent();
        });

        fs.MapPost("/update-pipeline", async (HttpRequest http, FsWriteRequest r) =>
        {
            if ((Missing(r, holder: true) ?? deny(http, r.Path, ownerOnly)) is { } bad)
            {
                return bad;
            }
            var (result, failure) = await ExecuteAsync(service, new NamespaceCommand.UpdatePipeline(r.Path!, r.Holder!, new BlockId(r.BlockId))).ConfigureAwait(false);
            return result?.Block is { } block ? Results.Json(View(block, 0, [], Token(http, block, BlockAccessMode.Write)), FsJson.Default.LocatedBlockView) : failure!;
        });

        fs.MapPost("/abandon-block", async (HttpRequest http, FsWriteRequest r) =>
        {
            if ((Missing(r, holder: true) ?? deny(http, r.Path, ownerOnly)) is { } bad)
            {
                return bad;
            }
            var (_, failure) = await ExecuteAsync(service, new NamespaceCommand.AbandonBlock(r.Path!, r.Holder!, new BlockId(r.BlockId))).ConfigureAwait(false);
            return failure ?? Results.NoContent();
        });

        fs.MapPost("/complete", async (HttpRequest http, FsWriteRequest r) =>
        {
            if ((Missing(r, holder: true) ?? deny(http, r.Path, ownerOnly)) is { } bad)
            {
                return bad;
            }
            var (_, failure) = await ExecuteAsync(service, new NamespaceCommand.Complete(r.Path!, r.Holder!, service.Now)).ConfigureAwait(false);
            return failure ?? Results.NoContent();
        });

        fs.MapPost("/renew-lease", async (FsWriteRequest r) =>
        {
            if (string.IsNullOrEmpty(r.Holder))
            {
                return BadRequest("holder is required");
            }
            var (_, failure) = await ExecuteAsync(service, new NamespaceCommand.RenewLease(r.Holder, service.Now)).ConfigureAwait(false);
            return failure ?? Results.NoContent();
        });

        fs.MapGet("/locations", (HttpRequest http, string? path, long? offset, long? length, string? reader) =>
        {
            if (deny(http, path, new FsPermissionCheck(Target: FsAccess.Read)) is { } denied)
            {
                return denied;
            }
            var (from, count) = LocationsRange(offset, length);
            if (path is null || service.Read(tree => tree.GetBlockLocations(path, from, count)) is not { } range)
            {
                return NotFound(path);
            }
            var self = reader is null ? null : manager.NodeAt(reader);
            long now = Now();
            var blocks = range.Blocks.Select(b => View(b.Block, b.Offset, manager.Locations(b.Block.Version, self, now), Token(http, b.Block, BlockAccessMode.Read))).ToArray();
            return Results.Json(new LocationsView(path, range.FileLength, range.IsComplete, blocks), FsJson.Default.LocationsView);
        });

        fs.MapPost("/report-corrupt", (FsWriteRequest r) =>
        {
            if (r.Node is null || manager.NodeAt(r.Node) is not { } node)
            {
                return BadRequest("node must be a known data node's transfer address");
            }
            bool marked = manager.ReportCorrupt(node, new BlockVersion(new BlockId(r.BlockId), new GenerationStamp(r.Stamp)));
            return marked ? Results.NoContent() : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "NotFound", detail: "that node holds no such replica");
        });

        // fsck names every file and block under the path, whatever their modes: administrators only, as in HDFS.
        fs.MapGet("/fsck", (HttpRequest http, string? path, bool? locations) => !who(http).IsAdmin
            ? AccessProblems.AdminOnly(who(http), "fsck")
            // A leader that took over moments ago has not heard every data node yet: its map would call every block missing.
            : !manager.IsSettled(Now())
            ? Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "NotSettled",
                detail: "this leader took over moments ago and is still collecting the data nodes' block reports; run fsck again in a few seconds")
            : Fsck(service, manager, path ?? "/", Now(), locations ?? false) is { } view
            ? Results.Json(view, FsJson.Default.FsckView)
            : NotFound(path ?? "/"));
    }

    /// <summary>Most blocks an fsck answer lists (problems, and with locations every block): the counts cover them all.</summary>
    internal const int MaxListedBlocks = 10_000;

    /// <summary>
    /// fsck of the subtree at <paramref name="target"/> as the API shows it; null if nothing is there. With
    /// <paramref name="locations"/>, every block with its replicas' addresses, healthy ones too (as HDFS's
    /// <c>fsck -locations</c>). Meaningful on the leader only.
    /// </summary>
    internal static FsckView? Fsck(NamespaceService service, BlockManager manager, string target, long now, bool locations = false)
    {
        var nodes = manager.Nodes(now);
        var addresses = nodes.ToDictionary(n => n.Id, n => manager.AddressOf(n.Id) ?? n.Id.ToString());
        var report = service.Read(tree => tree.Find(target) is null ? null : manager.Fsck(new SubtreeCatalog(tree, target), now));
        if (report is null)
        {
            return null;
        }
        FsckBlockView View(FsckBlock b) => new(
            b.Path, b.Block.ToString(), b.Length, b.Expected, HealthText(b.Health),
            [.. b.Live.Select(n => addresses.GetValueOrDefault(n, n.ToString()))], [.. b.CorruptOn.Select(n => addresses.GetValueOrDefault(n, n.ToString()))]);
        var problems = report.Blocks.Where(b => b.Health != BlockHealth.Healthy).Take(1000).Select(View).ToArray();
        return new FsckView(target, report.StatusText, report.Blocks.Count, report.Healthy, report.UnderReplicated, report.OverReplicated,
            report.Corrupt, report.Missing, report.OpenBlocks, nodes.Count, nodes.Count(n => n.State == Storage.Placement.DataNodeState.Alive), problems,
            locations ? [.. report.Blocks.Take(MaxListedBlocks).Select(View)] : null);
    }

    /// <summary>The byte range a <c>/locations</c> query asks for, clamped into [0, long.MaxValue].</summary>
    internal static (long Offset, long Length) LocationsRange(long? offset, long? length)
    {
        long from = Math.Max(0, offset ?? 0);
        return (from, Math.Clamp(length ?? long.MaxValue, 0, long.MaxValue - from));
    }

    private static IResult? Missing(FsWriteRequest r, bool holder) =>
        string.IsNullOrEmpty(r.Path) ? BadRequest("path is required")
        : holder && string.IsNullOrEmpty(r.Holder) ? BadRequest("holder is required")
        : null;

    private static LocatedBlockView View(FileBlock block, long offset, IReadOnlyList<string> nodes, string token) =>
        new(block.Version.Id.Value, block.Version.Stamp.Value, offset, block.Length, block.Checksum, nodes, token);

    private static string HealthText(BlockHealth health) => health switch
    {
        BlockHealth.Healthy => "healthy",
        BlockHealth.UnderReplicated => "under-replicated",
        BlockHealth.Corrupt => "corrupt",
        _ => "missing",
    };

    /// <summary>The blocks of the files under one path, for fsck of a subtree.</summary>
    private sealed class SubtreeCatalog(NamespaceTree tree, string path) : IBlockCatalog
    {
        private readonly string _prefix = path == "/" ? "/" : path + "/";

        public bool TryGetBlock(BlockId id, out CatalogBlock block) => tree.TryGetBlock(id, out block);

        public IEnumerable<CatalogBlock> AllBlocks() => path == "/"
            ? tree.AllBlocks()
            : tree.AllBlocks().Where(b => b.Path == path || b.Path.StartsWith(_prefix, StringComparison.Ordinal));
    }
}
