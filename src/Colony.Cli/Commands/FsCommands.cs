using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Colony.Client.FileSystem;
using Spectre.Console;

namespace Colony.Cli.Commands;

/// <summary>
/// <c>colony fs put|get|cat|ls|stat|mkdir|mv|rm|du|setrep|chmod|chown|fsck</c>: the cluster's file system.
/// Namespace calls go to any node over HTTP (--data, --cluster or COLONY_CLUSTER); file bytes go straight to and
/// from the data nodes. Calls carry a token: COLONY_TOKEN (a user's, from <c>colony token create</c>), else the
/// cluster token from the data directory's <c>secret</c> file, or COLONY_SECRET_FILE / COLONY_SECRET with --cluster.
/// </summary>
internal static class FsCommands
{
    private const short DefaultReplication = 3;

    public const string SecretFileVariable = "COLONY_SECRET_FILE";
    public const string SecretVariable = "COLONY_SECRET";
    public const string TokenVariable = "COLONY_TOKEN";

    public static Command Create(CliContext cli) =>
        new("fs", "Store and read files: put, get, cat, ls, stat, mkdir, mv, rm, du, setrep, chmod, chown, fsck")
        {
            CreatePut(cli), CreateGet(cli), CreateCat(cli), CreateLs(cli), CreateStat(cli), CreateMkdir(cli),
            CreateMv(cli), CreateRm(cli), CreateDu(cli), CreateSetrep(cli), CreateChmod(cli), CreateChown(cli), CreateFsck(cli),
            CreateDataNodes(cli), CreateDecommission(cli), CreateRecommission(cli), CreateBalance(cli),
        };

    private static Command CreateChmod(CliContext cli)
    {
        var mode = new Argument<string>("MODE") { Description = "Octal permission bits, e.g. 750, or 1777 for a shared directory with the sticky bit" };
        var path = Remote();
        var command = new Command("chmod", "Change a file's or directory's permission bits (its owner or an administrator)") { mode, path };
        command.SetAction((parse, ct) => RunAsync(cli, parse, fs => fs.SetPermissionAsync(parse.GetValue(path)!, parse.GetValue(mode)!, ct), ct));
        return command;
    }

    private static Command CreateChown(CliContext cli)
    {
        var owner = new Argument<string>("USER[:GROUP]") { Description = "The new owner, and optionally the group; :GROUP alone changes the group only" };
        var path = Remote();
        var command = new Command("chown", "Change a file's or directory's owner and group (administrators only)") { owner, path };
        command.SetAction((parse, ct) =>
        {
            string text = parse.GetValue(owner)!;
            int colon = text.IndexOf(':', StringComparison.Ordinal);
            string? user = colon < 0 ? text : text[..colon];
            string? group = colon < 0 ? null : text[(colon + 1)..];
            return RunAsync(cli, parse, fs => fs.SetOwnerAsync(parse.GetValue(path)!,
                string.IsNullOrEmpty(user) ? null : user, string.IsNullOrEmpty(group) ? null : group, ct), ct);
        });
        return command;
    }

    private static Command CreateDataNodes(CliContext cli)
    {
        var json = Json();
        var command = new Command("datanodes", "List the data nodes the leader knows: id, state, address, free and total space") { json };
        command.SetAction((parse, ct) => RunAsync(cli, parse, async fs =>
        {
            var nodes = await fs.DataNodesAsync(ct).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                cli.Environment.Out.WriteLine(JsonSerializer.Serialize(nodes.ToArray(), FsCliJson.Default.FsDataNodeArray));
                return;
            }
            foreach (var node in nodes)
            {
                cli.Environment.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{node.Id,4} {node.State,-15} {node.Address,-22} {node.Free,16} free of {node.Capacity,16}{(node.Rack is null ? "" : " rack " + node.Rack)}{(node.DiskFullWrites > 0 ? $" ({node.DiskFullWrites} writes hit a full disk)" : "")}"));
            }
        }, ct));
        return command;
    }

    internal static Command CreateDecommission(CliContext cli)
    {
        var id = new Argument<ulong>("ID") { Description = "The data node's id" };
        var command = new Command("decommission", "Drain a data node: its replicas are copied elsewhere, then it shows as decommissioned and can be stopped") { id };
        command.SetAction((parse, ct) => RunAsync(cli, parse, async fs =>
        {
            await fs.DecommissionAsync(parse.GetValue(id), ct).ConfigureAwait(false);
            cli.Environment.Out.WriteLine($"Decommissioning data node {parse.GetValue(id)}; `colony fs datanodes` shows when it is decommissioned");
        }, ct));
        return command;
    }

    private static Command CreateBalance(CliContext cli)
    {
        var threshold = new Option<double?>("--threshold") { Description = "Act while the most- and least-used data nodes differ by more than P percentage points (default: the cluster's, 10)", HelpName = "P" };
        var json = Json();
        var command = new Command("balance", "Ask the leader for a balancer pass: even out disk use by moving blocks from fuller data nodes to emptier ones") { threshold, json };
        command.SetAction((parse, ct) => RunAsync(cli, parse, async fs =>
        {
            var pass = await fs.BalanceAsync(parse.GetValue(threshold), ct).ConfigureAwait(false);
            var output = cli.Environment.Out;
            if (parse.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(pass, FsCliJson.Default.FsBalance));
                return;
            }
            foreach (var node in pass.Nodes)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"node {node.Id,4} {node.UsedPercent,6:0.0}% used"));
            }
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"spread {pass.SpreadPercent:0.0} points, threshold {pass.ThresholdPercent:0.#}"));
            foreach (var move in pass.Started)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"move {move.Block} ({move.Length} bytes) from node {move.From} to node {move.To}"));
            }
            string progress = pass switch
            {
                { Started.Count: > 0 } => $"{pass.Started.Count} moves started",
                { InFlight.Count: > 0 } => $"{pass.InFlight.Count} moves in flight",
                _ when pass.SpreadPercent <= pass.ThresholdPercent => "balanced",
                _ => "nothing to move now (nodes just reported, or no block fits)",
            };
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{progress}; {pass.MovesDone} moves finished so far"));
        }, ct));
        return command;
    }

    internal static Command CreateRecommission(CliContext cli)
    {
        var id = new Argument<ulong>("ID") { Description = "The data node's id" };
        var command = new Command("recommission", "End a drain: the data node takes new replicas again and its replicas count") { id };
        command.SetAction((parse, ct) => RunAsync(cli, parse, async fs =>
        {
            await fs.RecommissionAsync(parse.GetValue(id), ct).ConfigureAwait(false);
            cli.Environment.Out.WriteLine($"Data node {parse.GetValue(id)} is back in service");
        }, ct));
        return command;
    }

    private static Argument<string> Remote(string name = "PATH") => new(name) { Description = "An absolute path in the cluster's file system, e.g. /data/file" };

    private static Option<bool> Json() => new("--json") { Description = "Print JSON" };

    private static Command CreatePut(CliContext cli)
    {
        var local = new Argument<string>("LOCAL") { Description = "The local file to upload ('-' for standard input)" };
        var remote = Remote("REMOTE");
        var replication = new Option<short>("--replication", "-r") { Description = "Replicas per block (default 3, capped by the cluster's data nodes, with a warning)" };
        var blockSize = new Option<string>("--block-size") { Description = "Block size, e.g. 64M, 1M or bytes (default 64M)" };
        var overwrite = new Option<bool>("--overwrite", "-f") { Description = "Replace an existing file" };
        var ack = new Option<string>("--ack")
        {
            Description = "When a block counts as written: all (every replica fsynced, the default), quorum (a majority) or one (one node); the leader makes the missing replicas afterwards",
            DefaultValueFactory = _ => "all",
        };
        ack.AcceptOnlyFromAmong("all", "quorum", "one");
        var json = Json();
        var command = new Command("put", "Upload a local file") { local, remote, replication, blockSize, overwrite, ack, json };
        command.SetAction((parse, ct) => RunAsync(cli, parse, async fs =>
        {
            string source = parse.GetValue(local)!;
            string target = parse.GetValue(remote)!;
            if (await fs.StatAsync(target, ct).ConfigureAwait(false) is { IsDirectory: true })
            {
                target = target.TrimEnd('/') + "/" + (source == "-" ? "stdin" : Path.GetFileName(source));
            }
            long size = ParseSize(parse.GetValue(blockSize));
            var mode = parse.GetValue(ack) switch
            {
                "one" => FsAck.One,
                "quorum" => FsAck.Quorum,
                _ => FsAck.All,
            };
            var clock = System.Diagnostics.Stopwatch.StartNew();
            long copied;
            Stream input = source == "-" ? Console.OpenStandardInput() : OpenLocal(source);
            await using (input.ConfigureAwait(false))
            {
                var output = await fs.CreateAsync(target, new FsCreateOptions
                {
                    Replication = parse.GetValue(replication), BlockSize = size, Overwrite = parse.GetValue(overwrite), Ack = mode,
                }, ct).ConfigureAwait(false);
                await using (output.ConfigureAwait(false))
                {
                    long? total = input.CanSeek ? input.Length : null;
                    copied = await TransferAsync(input, output, total, $"put {target}", !parse.GetValue(json), ct).ConfigureAwait(false);
                }
            }
            if (parse.GetValue(json))
            {
                WriteTransferJson(cli, "put", target, copied, clock.Elapsed);
            }
            // The leader caps replication at the data nodes it knows: say so rather than leave it silent.
            short asked = parse.GetValue(replication) is > 0 and var wanted ? wanted : DefaultReplication;
            if (await fs.StatAsync(target, ct).ConfigureAwait(false) is { } written && written.Replication < asked)
            {
                cli.Environment.Error.WriteLine($"colony fs put: warning: {target} has replication {written.Replication}, not {asked}: the cluster has only {written.Replication} data node(s)");
            }
        }, ct));
        return command;
    }

    private static Command CreateGet(CliContext cli)
    {
        var remote = Remote("REMOTE");
        var local = new Argument<string>("LOCAL") { Description = "Where to write it ('-' for standard output)" };
        var json = Json();
        var command = new Command("get", "Download a file") { remote, local, json };
        command.SetAction((parse, ct) => RunAsync(cli, parse, async fs =>
        {
            string target = parse.GetValue(local)!;
            string source = parse.GetValue(remote)!;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var input = await fs.OpenReadAsync(source, ct).ConfigureAwait(false);
            await using (input.ConfigureAwait(false))
            {
                if (target == "-")
                {
                    await using var stdout = Console.OpenStandardOutput();
                    await input.CopyToAsync(stdout, ct).ConfigureAwait(false);
                    return;
                }
                // Written beside the target and renamed: a failed download leaves no half file under its name.
                string partial = target + ".partial";
                var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous);
                long copied;
                await using (file.ConfigureAwait(false))
                {
                    copied = await TransferAsync(input, file, input.Length, $"get {source}", !parse.GetValue(json), ct).ConfigureAwait(false);
                }
                File.Move(partial, target, overwrite: true);
                if (parse.GetValue(json))
                {
                    WriteTransferJson(cli, "get", source, copied, clock.Elapsed);
                }
            }
        }, ct));
        return command;
    }

    private static Command CreateCat(CliContext cli)
    {
        var paths = new Argument<string[]>("PATH")
        {
            Description = "Files to print, in order; the last component may be a glob (*, ?, [abc]), e.g. /out/part-*, whose matches print in name order",
            Arity = ArgumentArity.OneOrMore,
        };
        var command = new Command("cat", "Print files' bytes to standard output") { paths };
        command.SetAction((parse, ct) => RunAsync(cli, parse, async fs =>
        {
            await cli.Environment.Out.FlushAsync(ct).ConfigureAwait(false);
            var files = new List<string>();
            foreach (string pattern in parse.GetValue(paths)!)
            {
                files.AddRange(await ExpandAsync(fs, pattern, ct).ConfigureAwait(false));
            }
            foreach (string path in files)
            {
                var input = await fs.OpenReadAsync(path, ct).ConfigureAwait(false);
                await using (input.ConfigureAwait(false))
                {
                    await using var stdout = Console.OpenStandardOutput();
                    await input.CopyToAsync(stdout, ct).ConfigureAwait(false);
                }
            }
        }, ct));
        return command;
    }

    private static Command CreateLs(CliContext cli)
    {
        var path = new Argument<string>("PATH") { Description = "A directory or file (default /)", Arity = ArgumentArity.ZeroOrOne };
        var recursive = new Option<bool>("--recursive", "-R") { Description = "List subdirectories too" };
        var json = Json();
        var command = new Command("ls", "List a directory: permission, replication, owner, group, size, modified, path") { path, recursive, json };
        command.SetAction((parse, ct) => RunAsync(cli, parse, async fs =>
        {
            var all = new List<FsFileStatus>();
            await ListAsync(fs, parse.GetValue(path) ?? "/", parse.GetValue(recursive), all, ct).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                cli.Environment.Out.WriteLine(JsonSerializer.Serialize(all, FsCliJson.Default.ListFsFileStatus));
                return;
            }
            foreach (var entry in all)
            {
                cli.Environment.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{(entry.IsDirectory ? 'd' : '-')}{entry.Permission} {(entry.IsDirectory ? "-" : entry.Replication.ToString(CultureInfo.InvariantCulture)),3} {entry.Owner} {entry.Group} {entry.Length,12} {entry.ModificationTime.UtcDateTime:yyyy-MM-dd HH:mm} {entry.Path}"));
            }
        }, ct));
        return command;
    }

    private static async Task ListAsync(ColonyFileSystem fs, string path, bool recursive, List<FsFileStatus> into, CancellationToken cancellationToken)
    {
        foreach (var entry in await fs.ListAsync(path, cancellationToken).ConfigureAwait(false))
        {
            into.Add(entry);
            if (recursive && entry.IsDirectory && entry.Path != path)
            {
                await ListAsync(fs, entry.Path, recursive, into, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static Command CreateStat(CliContext cli)
    {
        var path = Remote();
        var json = Json();
        var command = new Command("stat", "Show a file's or directory's attributes") { path, json };
        command.SetAction((parse, ct) => RunAsync(cli, parse, async fs =>
        {
            string target = parse.GetValue(path)!;
            var status = await fs.StatAsync(target, ct).ConfigureAwait(false) ?? throw new CliError($"{target}: no such file or directory");
            if (parse.GetValue(json))
            {
                cli.Environment.Out.WriteLine(JsonSerializer.Serialize(status, FsCliJson.Default.FsFileStatus));
                return;
            }
            var o = cli.Environment.Out;
            o.WriteLine($"Path: {status.Path}");
            o.WriteLine($"Type: {status.Type}");
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Size: {status.Length}"));
            if (!status.IsDirectory)
            {
                o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Replication: {status.Replication}"));
                o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Block size: {status.BlockSize}"));
                o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Blocks: {status.Blocks}"));
                o.WriteLine($"State: {status.State}{(status.ClosedByRecovery ? " (closed by lease recovery: may be shorter than its writer meant)" : "")}");
            }
            o.WriteLine($"Permission: {status.Permission}");
            o.WriteLine($"Owner: {status.Owner}:{status.Group}");
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Modified: {status.ModificationTime.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC"));
        }, ct));
        return command;
    }

    private static Command CreateMkdir(CliContext cli)
    {
        var path = Remote();
        var parents = new Option<bool>("--parents", "-p") { Description = "Make missing parents (always done; accepted for habit)" };
        var command = new Command("mkdir", "Make a directory and any missing parents") { path, parents };
        command.SetAction((parse, ct) => RunAsync(cli, parse, fs => fs.MkdirsAsync(parse.GetValue(path)!, cancellationToken: ct), ct));
        return command;
    }

    private static Command CreateMv(CliContext cli)
    {
        var source = Remote("SOURCE");
        var destination = Remote("DESTINATION");
        var command = new Command("mv", "Move or rename (into DESTINATION when it is a directory)") { source, destination };
        command.SetAction((parse, ct) => RunAsync(cli, parse, fs => fs.RenameAsync(parse.GetValue(source)!, parse.GetValue(destination)!, ct), ct));
        return command;
    }

    private static Command CreateRm(CliContext cli)
    {
        var path = Remote();
        var recursive = new Option<bool>("--recursive", "-r") { Description = "Remove a directory and everything under it" };
        var skipTrash = new Option<bool>("--skip-trash") { Description = "Delete for good instead of moving to /.Trash/USER" };
        var command = new Command("rm", "Remove a file or directory (to the trash unless --skip-trash)") { path, recursive, skipTrash };
        command.SetAction((parse, ct) => RunAsync(cli, parse, async fs =>
        {
            var change = await fs.DeleteAsync(parse.GetValue(path)!, parse.GetValue(recursive), parse.GetValue(skipTrash), ct).ConfigureAwait(false);
            cli.Environment.Out.WriteLine(change.MovedToTrash ? $"Moved to trash: {change.Path}" : $"Deleted {parse.GetValue(path)}");
        }, ct));
        return command;
    }

    private static Command CreateDu(CliContext cli)
    {
        var path = new Argument<string>("PATH") { Description = "Default /", Arity = ArgumentArity.ZeroOrOne };
        var json = Json();
        var command = new Command("du", "Bytes, files and directories under a path, and the space its replicas take") { path, json };
        command.SetAction((parse, ct) => RunAsync(cli, parse, async fs =>
        {
            var sum = await fs.SummarizeAsync(parse.GetValue(path) ?? "/", ct).ConfigureAwait(false);
            cli.Environment.Out.WriteLine(parse.GetValue(json)
                ? JsonSerializer.Serialize(sum, FsCliJson.Default.FsSummary)
                : string.Create(CultureInfo.InvariantCulture, $"{sum.Bytes} {sum.SpaceConsumed} {sum.Files} files {sum.Directories} directories {sum.Path}"));
        }, ct));
        return command;
    }

    private static Command CreateSetrep(CliContext cli)
    {
        var replication = new Argument<short>("N") { Description = "Replicas per block" };
        var path = Remote();
        var command = new Command("setrep", "Change a file's replication; the leader copies or trims replicas to match") { replication, path };
        command.SetAction((parse, ct) => RunAsync(cli, parse, fs => fs.SetReplicationAsync(parse.GetValue(path)!, parse.GetValue(replication), ct), ct));
        return command;
    }

    private static Command CreateFsck(CliContext cli)
    {
        var path = new Argument<string>("PATH") { Description = "Default /", Arity = ArgumentArity.ZeroOrOne };
        var json = Json();
        var locations = new Option<bool>("--locations") { Description = "List every block with the data nodes holding its live replicas, healthy ones too" };
        var command = new Command("fsck", "Check every block's replicas; exits 1 when data is missing or corrupt") { path, json, locations };
        command.SetAction((parse, ct) => RunAsync(cli, parse, async fs =>
        {
            var report = await fs.FsckAsync(parse.GetValue(path) ?? "/", ct, parse.GetValue(locations)).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                cli.Environment.Out.WriteLine(JsonSerializer.Serialize(report, FsCliJson.Default.FsckResult));
            }
            else
            {
                var o = cli.Environment.Out;
                foreach (var problem in report.Locations ?? report.Problems)
                {
                    o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{problem.Path}: block {problem.Block} {problem.Health.ToUpperInvariant()}: {problem.Live.Count} of {problem.Expected} live replicas{(problem.Live.Count > 0 ? " on " + string.Join(", ", problem.Live) : "")}{(problem.CorruptOn.Count > 0 ? "; corrupt on " + string.Join(", ", problem.CorruptOn) : "")}"));
                }
                o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Data nodes: {report.LiveDataNodes} live of {report.DataNodes}"));
                o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Total blocks: {report.Blocks} (open: {report.OpenBlocks})"));
                o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Healthy blocks: {report.Healthy}"));
                o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Under-replicated blocks: {report.UnderReplicated}"));
                o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Over-replicated blocks: {report.OverReplicated}"));
                o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Corrupt blocks: {report.Corrupt}"));
                o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Missing blocks: {report.Missing}"));
                o.WriteLine($"The filesystem under path '{report.Path}' is {report.Status}");
            }
            if (report.Status == "CORRUPT")
            {
                throw new CliError($"{report.Corrupt + report.Missing} blocks under {report.Path} cannot be read", CliError.Failure);
            }
        }, ct));
        return command;
    }

    /// <summary>
    /// A path whose last component is a glob becomes the files it matches, in ordinal name order; any other path is
    /// itself. A glob that matches no file is an error, as in a shell without nullglob.
    /// </summary>
    internal static async Task<IReadOnlyList<string>> ExpandAsync(ColonyFileSystem fs, string path, CancellationToken cancellationToken)
    {
        int slash = path.LastIndexOf('/');
        string name = path[(slash + 1)..];
        if (slash < 0 || name.IndexOfAny(['*', '?', '[']) < 0)
        {
            return [path];
        }
        string parent = slash == 0 ? "/" : path[..slash];
        var glob = Glob(name);
        var matches = (await fs.ListAsync(parent, cancellationToken).ConfigureAwait(false))
            .Where(e => !e.IsDirectory && glob.IsMatch(e.Path[(e.Path.LastIndexOf('/') + 1)..]))
            .Select(e => e.Path)
            .Order(StringComparer.Ordinal)
            .ToList();
        return matches.Count > 0 ? matches : throw new CliError($"{path}: no files match");
    }

    /// <summary>A shell glob over one path component: * and ? never cross a slash, [..] is a class, [!..] its complement.</summary>
    internal static System.Text.RegularExpressions.Regex Glob(string pattern)
    {
        var regex = new System.Text.StringBuilder("^");
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            int close = c == '[' ? pattern.IndexOf(']', i + 2) : -1;
            if (c == '*')
            {
                regex.Append("[^/]*");
            }
            else if (c == '?')
            {
                regex.Append("[^/]");
            }
            else if (close > 0)
            {
                string body = pattern[(i + 1)..close];
                bool negate = body.StartsWith('!');
                regex.Append('[').Append(negate ? "^" : "").Append(System.Text.RegularExpressions.Regex.Escape(negate ? body[1..] : body).Replace("\\-", "-", StringComparison.Ordinal)).Append(']');
                i = close;
            }
            else
            {
                regex.Append(System.Text.RegularExpressions.Regex.Escape(c.ToString()));
            }
        }
        return new System.Text.RegularExpressions.Regex(regex.Append('$').ToString(), System.Text.RegularExpressions.RegexOptions.CultureInvariant);
    }

    /// <summary>
    /// Copies with a progress bar and throughput on standard error when it is a terminal (and <paramref name="progress"/>
    /// is on); otherwise plainly. Returns the bytes copied.
    /// </summary>
    private static async Task<long> TransferAsync(Stream input, Stream output, long? total, string label, bool progress, CancellationToken cancellationToken)
    {
        if (!progress || Console.IsErrorRedirected)
        {
            return await CopyAsync(input, output, null, cancellationToken).ConfigureAwait(false);
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        long copied = 0;
        await console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape(label), maxValue: Math.Max(1, total ?? 1));
                task.IsIndeterminate = total is null;
                copied = await CopyAsync(input, output, task, cancellationToken).ConfigureAwait(false);
                task.Value = task.MaxValue;
            }).ConfigureAwait(false);
        return copied;
    }

    private static async Task<long> CopyAsync(Stream input, Stream output, ProgressTask? task, CancellationToken cancellationToken)
    {
        var buffer = new byte[1024 * 1024];
        long copied = 0;
        int read;
        while ((read = await input.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            copied += read;
            task?.Increment(read);
        }
        return copied;
    }

    private static void WriteTransferJson(CliContext cli, string operation, string path, long bytes, TimeSpan elapsed)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("operation", operation);
            json.WriteString("path", path);
            json.WriteNumber("bytes", bytes);
            json.WriteNumber("seconds", Math.Round(elapsed.TotalSeconds, 3));
            json.WriteNumber("bytesPerSecond", elapsed.TotalSeconds > 0 ? Math.Round(bytes / elapsed.TotalSeconds) : 0);
            json.WriteEndObject();
        }
        cli.Environment.Out.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }

    private static Stream OpenLocal(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            throw new CliError($"{path}: {e.Message}");
        }
    }

    /// <summary>"64M", "1MiB", "512K", "1G" or plain bytes; 0 (the cluster's default) when absent.</summary>
    internal static long ParseSize(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return 0;
        }
        string t = text.Trim().ToUpperInvariant();
        if (t.EndsWith("IB", StringComparison.Ordinal))
        {
            t = t[..^2];
        }
        else if (t.EndsWith('B'))
        {
            t = t[..^1];
        }
        long unit = t.Length > 0 ? t[^1] switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, _ => 1 } : 1;
        if (unit > 1)
        {
            t = t[..^1];
        }
        return long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out long n) && n > 0 && n <= long.MaxValue / unit
            ? n * unit
            : throw new CliError($"'{text}' is not a size (e.g. 64M, 1M, 1048576)", CliError.Usage);
    }

    private static async Task<int> RunAsync(CliContext cli, ParseResult parse, Func<ColonyFileSystem, Task> action, CancellationToken cancellationToken)
    {
        var target = cli.RemoteCluster(parse);
        using var fs = new ColonyFileSystem([.. target.Nodes.Select(n => n.Http)], Token(cli, target), target.FileSystemOptions());
        try
        {
            await action(fs).ConfigureAwait(false);
            return 0;
        }
        catch (FsException e)
        {
            throw new CliError(e.Message);
        }
        catch (HttpRequestException e)
        {
            throw new CliError($"no node answered: {e.Message}; is the cluster up? (colony status)");
        }
        catch (IOException e) when (e is not FileNotFoundException)
        {
            throw new CliError(e.Message);
        }
    }

    /// <summary>
    /// The bearer token the CLI presents: COLONY_TOKEN when set (a user's own), else the cluster token, the
    /// secret's base64, found as <see cref="Secret"/> finds it; null when there is neither, so reads are anonymous.
    /// </summary>
    internal static string? Token(CliContext cli, ClusterTarget target) =>
        cli.Environment.GetVariable(TokenVariable) is { Length: > 0 } token
            ? token.Trim()
            : Secret(cli, target) is { } secret ? Convert.ToBase64String(secret) : null;

    internal static byte[]? Secret(CliContext cli, ClusterTarget target)
    {
        string? text = cli.Environment.GetVariable(SecretVariable);
        string? file = target.Layout?.SecretFile ?? cli.Environment.GetVariable(SecretFileVariable);
        if (text is null && file is not null && File.Exists(file))
        {
            text = File.ReadAllText(file);
        }
        try
        {
            return text is null ? null : Convert.FromBase64String(text.Trim());
        }
        catch (FormatException)
        {
            throw new CliError("the cluster secret is not base64");
        }
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(List<FsFileStatus>))]
[JsonSerializable(typeof(FsFileStatus))]
[JsonSerializable(typeof(FsSummary))]
[JsonSerializable(typeof(FsckResult))]
[JsonSerializable(typeof(FsDataNode[]))]
[JsonSerializable(typeof(FsBalance))]
internal sealed partial class FsCliJson : JsonSerializerContext;
