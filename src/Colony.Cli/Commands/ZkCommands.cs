using System.CommandLine;
using System.Globalization;
using System.Text;
using Colony.Client;
using Colony.Coordination;
using static Colony.Cli.Commands.CommandSupport;

namespace Colony.Cli.Commands;

/// <summary>
/// <c>colony zk ls|get|set|create|delete|stat|watch PATH</c>: read and write the cluster's
/// ZooKeeper tree. The servers are each node's <c>zk</c> address from cluster.json (<c>--data</c>),
/// or the ZooKeeper addresses given with <c>--cluster</c> or <c>COLONY_CLUSTER</c>.
/// </summary>
internal static class ZkCommands
{
    public static Command Create(CliContext cli) =>
        new("zk", "Read, write and watch ZooKeeper nodes (--cluster and COLONY_CLUSTER name ZooKeeper addresses here)")
        {
            CreateLs(cli),
            CreateGet(cli),
            CreateSet(cli),
            CreateCreate(cli),
            CreateDelete(cli),
            CreateStat(cli),
            CreateWatch(cli),
        };

    private static Argument<string> PathArgument() => new("PATH") { Description = "The node's absolute path, e.g. /app/config" };

    private static Option<int> ConnectTimeout() => TimeoutOption(10, "How long to try to reach a ZooKeeper server");

    private static Command CreateLs(CliContext cli)
    {
        var path = PathArgument();
        var timeout = ConnectTimeout();
        var command = new Command("ls", "List a node's children, one name a line") { path, timeout };
        command.SetAction((parse, ct) => RunAsync(cli, parse, timeout, async client =>
        {
            foreach (string child in (await client.GetChildrenAsync(parse.GetValue(path)!, watch: false, ct).ConfigureAwait(false)).Order(StringComparer.Ordinal))
            {
                cli.Environment.Out.WriteLine(child);
            }
        }, ct));
        return command;
    }

    private static Command CreateGet(CliContext cli)
    {
        var path = PathArgument();
        var timeout = ConnectTimeout();
        var command = new Command("get", "Print a node's data as UTF-8 text") { path, timeout };
        command.SetAction((parse, ct) => RunAsync(cli, parse, timeout, async client =>
        {
            (byte[] data, _) = await client.GetDataAsync(parse.GetValue(path)!, watch: false, ct).ConfigureAwait(false);
            cli.Environment.Out.WriteLine(Encoding.UTF8.GetString(data));
        }, ct));
        return command;
    }

    private static Command CreateSet(CliContext cli)
    {
        var path = PathArgument();
        var data = new Argument<string>("DATA") { Description = "The new data, as UTF-8 text" };
        var version = new Option<int>("--version")
        {
            Description = "Only set it if the node is at this version",
            HelpName = "N",
            DefaultValueFactory = _ => -1,
        };
        var timeout = ConnectTimeout();
        var command = new Command("set", "Replace a node's data") { path, data, version, timeout };
        command.SetAction((parse, ct) => RunAsync(cli, parse, timeout, async client =>
        {
            Stat stat = await client.SetDataAsync(parse.GetValue(path)!, Encoding.UTF8.GetBytes(parse.GetValue(data)!), parse.GetValue(version), ct).ConfigureAwait(false);
            cli.Environment.Out.WriteLine($"version {stat.Version.ToString(CultureInfo.InvariantCulture)}");
        }, ct));
        return command;
    }

    private static Command CreateCreate(CliContext cli)
    {
        var path = PathArgument();
        var data = new Argument<string>("DATA") { Description = "The node's data, as UTF-8 text", DefaultValueFactory = _ => "" };
        var ephemeral = new Option<bool>("--ephemeral") { Description = "Tie the node to this command's session: it is deleted when the command exits" };
        var sequential = new Option<bool>("--sequential") { Description = "Append a 10-digit sequence number to the name" };
        var timeout = ConnectTimeout();
        var command = new Command("create", "Create a node and print its path") { path, data, ephemeral, sequential, timeout };
        command.SetAction((parse, ct) => RunAsync(cli, parse, timeout, async client =>
        {
            CreateMode mode = (parse.GetValue(ephemeral), parse.GetValue(sequential)) switch
            {
                (true, true) => CreateMode.EphemeralSequential,
                (true, false) => CreateMode.Ephemeral,
                (false, true) => CreateMode.PersistentSequential,
                _ => CreateMode.Persistent,
            };
            string created = await client.CreateAsync(parse.GetValue(path)!, Encoding.UTF8.GetBytes(parse.GetValue(data)!), Acl.OpenUnsafe, mode, cancellationToken: ct).ConfigureAwait(false);
            cli.Environment.Out.WriteLine(created);
        }, ct));
        return command;
    }

    private static Command CreateDelete(CliContext cli)
    {
        var path = PathArgument();
        var recursive = new Option<bool>("--recursive") { Description = "Delete the node's descendants first" };
        var timeout = ConnectTimeout();
        var command = new Command("delete", "Delete a node") { path, recursive, timeout };
        command.SetAction((parse, ct) => RunAsync(cli, parse, timeout, async client =>
        {
            string target = parse.GetValue(path)!;
            if (parse.GetValue(recursive))
            {
                await DeleteTreeAsync(client, target, ct).ConfigureAwait(false);
            }
            else
            {
                await client.DeleteAsync(target, cancellationToken: ct).ConfigureAwait(false);
            }
        }, ct));
        return command;
    }

    private static Command CreateStat(CliContext cli)
    {
        var path = PathArgument();
        var timeout = ConnectTimeout();
        var command = new Command("stat", "Print a node's metadata") { path, timeout };
        command.SetAction((parse, ct) => RunAsync(cli, parse, timeout, async client =>
        {
            string target = parse.GetValue(path)!;
            Stat stat = await client.ExistsAsync(target, watch: false, ct).ConfigureAwait(false) ?? throw new NoNodeException(target);
            WriteStat(cli.Environment.Out, stat);
        }, ct));
        return command;
    }

    private static Command CreateWatch(CliContext cli)
    {
        var path = PathArgument();
        var recursive = new Option<bool>("--recursive") { Description = "Also report changes of every descendant" };
        var count = new Option<int>("--count")
        {
            Description = "Exit after this many events",
            HelpName = "N",
            CustomParser = result => PositiveNumber(result, "--count takes a positive number"),
        };
        var timeout = ConnectTimeout();
        var command = new Command("watch", "Print a node's changes as they happen, until Ctrl+C") { path, recursive, count, timeout };
        command.SetAction((parse, ct) => RunAsync(cli, parse, timeout, async client =>
        {
            string target = parse.GetValue(path)!;
            int limit = parse.GetValue(count);
            AddWatchMode mode = parse.GetValue(recursive) ? AddWatchMode.PersistentRecursive : AddWatchMode.Persistent;
            int seen = 0;
            try
            {
                await using IAsyncEnumerator<WatchedEvent> events = client.WatchAsync(target, mode, ct).GetAsyncEnumerator(ct);
                // The watch is set by the first MoveNext; say so once it is.
                ValueTask<bool> next = events.MoveNextAsync();
                await WaitUntilWatchingAsync(client, target, ct).ConfigureAwait(false);
                cli.Environment.Error.WriteLine($"watching {target}{(mode == AddWatchMode.PersistentRecursive ? " and its descendants" : "")}");
                while (await next.ConfigureAwait(false))
                {
                    WatchedEvent change = events.Current;
                    cli.Environment.Out.WriteLine($"{change.Type} {change.Path}");
                    if (limit > 0 && ++seen >= limit)
                    {
                        return;
                    }
                    next = events.MoveNextAsync();
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // Ctrl+C is how a watch ends.
            }
        }, ct));
        return command;
    }

    /// <summary>Connects to the cluster, runs <paramref name="action"/>, closes the session, and turns ZooKeeper errors into one-line CLI errors.</summary>
    private static async Task<int> RunAsync(CliContext cli, ParseResult parse, Option<int> timeout, Func<ZooKeeperClient, Task> action, CancellationToken cancellationToken)
    {
        ZooKeeperClient client = await ConnectAsync(cli, parse, new ZooKeeperClientOptions { ConnectTimeout = Seconds(parse.GetValue(timeout)) }, cancellationToken).ConfigureAwait(false);
        await using (client.ConfigureAwait(false))
        {
            try
            {
                await action(client).ConfigureAwait(false);
                return 0;
            }
            catch (ArgumentException e)
            {
                throw new CliError(FirstSentence(e.Message), CliError.Usage);
            }
            catch (ZooKeeperException e)
            {
                throw new CliError(Describe(e));
            }
        }
    }

    /// <summary>Opens a session on the cluster that --data, --cluster or COLONY_CLUSTER names; a failure to connect is a one-line CLI error.</summary>
    internal static async Task<ZooKeeperClient> ConnectAsync(CliContext cli, ParseResult parse, ZooKeeperClientOptions options, CancellationToken cancellationToken)
    {
        string servers = Servers(cli, parse);
        try
        {
            return await ZooKeeperClient.ConnectAsync(servers, options, cancellationToken).ConfigureAwait(false);
        }
        catch (ConnectionLossException)
        {
            throw new CliError($"no ZooKeeper server answered at {servers} within {options.ConnectTimeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)}s; is the cluster up? (colony status)");
        }
        catch (ArgumentException e)
        {
            throw new CliError($"bad ZooKeeper address list '{servers}': {FirstSentence(e.Message)}", CliError.Usage);
        }
    }

    /// <summary>The connect string: --cluster or COLONY_CLUSTER as given, else every node's zk address from cluster.json.</summary>
    private static string Servers(CliContext cli, ParseResult parse)
    {
        string? data = parse.GetValue(cli.Data);
        string? cluster = parse.GetValue(cli.Cluster);
        if (!string.IsNullOrEmpty(data) && !string.IsNullOrEmpty(cluster))
        {
            throw new CliError("give either --data or --cluster, not both", CliError.Usage);
        }
        if (string.IsNullOrEmpty(data))
        {
            if (string.IsNullOrEmpty(cluster))
            {
                cluster = cli.Environment.GetVariable(CliContext.ClusterVariable);
            }
            if (!string.IsNullOrWhiteSpace(cluster))
            {
                return cluster.Trim();
            }
        }

        ClusterLayout layout = cli.LocalCluster(parse, "zk");
        ClusterManifest manifest = ClusterFile.Read(layout);
        string[] addresses = [.. manifest.Nodes.Select(n => n.ZooKeeper).Where(a => !string.IsNullOrEmpty(a))];
        return addresses.Length > 0 ? string.Join(',', addresses) : throw new CliError($"{layout.ClusterFile} lists no ZooKeeper addresses");
    }

    private static async Task DeleteTreeAsync(ZooKeeperClient client, string path, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> children = await client.GetChildrenAsync(path, watch: false, cancellationToken).ConfigureAwait(false);
        foreach (string child in children)
        {
            await DeleteTreeAsync(client, ZooKeeperPath.Combine(path, child), cancellationToken).ConfigureAwait(false);
        }
        if (path != ZooKeeperPath.Root)
        {
            await client.DeleteAsync(path, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task WaitUntilWatchingAsync(ZooKeeperClient client, string path, CancellationToken cancellationToken)
    {
        while (!await client.CheckWatchesAsync(path, WatcherType.Any, cancellationToken).ConfigureAwait(false))
        {
            await Task.Yield();
        }
    }

    private static void WriteStat(TextWriter output, Stat stat)
    {
        output.WriteLine($"cZxid = 0x{stat.Czxid:x}");
        output.WriteLine($"ctime = {Time(stat.Ctime)}");
        output.WriteLine($"mZxid = 0x{stat.Mzxid:x}");
        output.WriteLine($"mtime = {Time(stat.Mtime)}");
        output.WriteLine($"pZxid = 0x{stat.Pzxid:x}");
        output.WriteLine($"cversion = {stat.Cversion.ToString(CultureInfo.InvariantCulture)}");
        output.WriteLine($"dataVersion = {stat.Version.ToString(CultureInfo.InvariantCulture)}");
        output.WriteLine($"aclVersion = {stat.Aversion.ToString(CultureInfo.InvariantCulture)}");
        output.WriteLine($"ephemeralOwner = 0x{stat.EphemeralOwner:x}");
        output.WriteLine($"dataLength = {stat.DataLength.ToString(CultureInfo.InvariantCulture)}");
        output.WriteLine($"numChildren = {stat.NumChildren.ToString(CultureInfo.InvariantCulture)}");
    }

    private static string Time(long unixMilliseconds) =>
        DateTimeOffset.FromUnixTimeMilliseconds(unixMilliseconds).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    internal static string Describe(ZooKeeperException error) => error switch
    {
        NoNodeException => $"{error.Path} does not exist",
        NodeExistsException => $"{error.Path} already exists",
        NotEmptyException => $"{error.Path} has children (delete them first, or use --recursive)",
        BadVersionException => $"{error.Path} is not at the expected version",
        NoAuthException => $"not allowed to do that to {error.Path}",
        NoChildrenForEphemeralsException => $"{error.Path}: ephemeral nodes cannot have children",
        _ => NodeClient.OneLine(error.Message),
    };

    internal static string FirstSentence(string message) => NodeClient.OneLine(message.Split(" (Parameter", 2)[0]).TrimEnd('.');
}
