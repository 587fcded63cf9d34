using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Colony.Client.FileSystem;
using Colony.Client.Jobs;
using Colony.Client.MapReduce;
using Spectre.Console;

namespace Colony.Cli.Commands;

/// <summary>
/// <c>colony demo</c>: the main job on a local cluster. It starts (or reuses) a 3-node cluster, stores a
/// generated text corpus (a Zipf distribution of words) with 3 replicas per block, runs word count on it, kills
/// one worker with SIGKILL mid-job to show the job carry on, then prints the top words, the job's counters and
/// the dashboard's address, and restarts the killed node. The cluster keeps running after.
/// </summary>
internal static class DemoCommand
{
    private const string CorpusPath = "/demo/corpus.txt";
    private const long BlockSize = 16L * 1024 * 1024;
    private const int Reducers = 3;

    public static Command Create(CliContext cli)
    {
        var basePort = new Option<int?>("--base-port") { Description = "Move every port of the cluster (see colony up --help)", HelpName = "P" };
        var size = new Option<string>("--size") { Description = "The corpus size, e.g. 300M (default) or 1G", DefaultValueFactory = _ => "300M" };
        var tls = new Option<bool>("--tls") { Description = "Start the cluster with TLS everywhere (see colony up --help); a new cluster only" };
        var command = new Command("demo", "Start a local cluster, store a text corpus, run word count on it and kill a worker mid-job") { basePort, size, tls };
        command.SetAction((parse, ct) => RunAsync(cli, parse, parse.GetValue(basePort), FsCommands.ParseSize(parse.GetValue(size)), parse.GetValue(tls), ct));
        return command;
    }

    private static async Task<int> RunAsync(CliContext cli, System.CommandLine.ParseResult parse, int? basePort, long size, bool tls, CancellationToken ct)
    {
        if (size <= 0)
        {
            throw new CliError("--size must be positive, e.g. 300M", CliError.Usage);
        }
        var console = cli.Environment.Console;
        var layout = cli.LocalCluster(parse, "demo");
        string data = layout.Directory;
        var total = Stopwatch.StartNew();

        console.MarkupLine("[bold]1. Start a 3-node cluster[/] (each node: Raft, a ZooKeeper-compatible service, a data node and a worker)");
        string[] up = [.. basePort is { } p ? ["up", "--data", data, "--base-port", p.ToString(CultureInfo.InvariantCulture)] : (string[])["up", "--data", data], .. tls ? ["--tls"] : (string[])[]];
        await RunStepAsync(cli, up, ct).ConfigureAwait(false);
        var target = ClusterTarget.FromDirectory(layout);
        var nodes = target.Nodes.Select(n => n.Http).ToArray();
        string? token = FsCommands.Token(cli, target);
        using var fs = new ColonyFileSystem(nodes, token, target.FileSystemOptions());
        using var jobs = new JobClient(nodes, token, target.Tls);
        using var probe = new NodeClient(tls: target.Tls);

        // A file's replication is capped by the data nodes the leader knows when it is created: wait for all three.
        var clock = Stopwatch.StartNew();
        while ((await SettledFsckAsync(fs, ct).ConfigureAwait(false))?.LiveDataNodes is not { } live || live < target.Nodes.Count)
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new CliError($"timed out after 60 s waiting for {target.Nodes.Count} data nodes to report to the leader");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(200), ct).ConfigureAwait(false);
        }

        console.MarkupLine($"\n[bold]2. Store a {Size(size)} text corpus[/] at {CorpusPath}: Zipf-distributed words, {Size(BlockSize)} blocks, 3 replicas each");
        clock.Restart();
        if (await fs.StatAsync(CorpusPath, ct).ConfigureAwait(false) is { IsDirectory: false, Replication: >= 3 } existing && existing.Length >= size)
        {
            console.MarkupLine($"   reusing the corpus from an earlier run ({Size(existing.Length)})");
        }
        else
        {
            var corpus = await fs.CreateAsync(CorpusPath, new FsCreateOptions { Replication = 3, BlockSize = BlockSize, Overwrite = true }, ct).ConfigureAwait(false);
            await using (corpus.ConfigureAwait(false))
            {
                await ZipfCorpus.WriteAsync(corpus, size, seed: 1, cancellationToken: ct).ConfigureAwait(false);
            }
            console.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"   stored in {clock.Elapsed.TotalSeconds:0.0} s ({size / clock.Elapsed.TotalSeconds / (1 << 20):0} MiB/s, every replica fsynced)"));
        }

        string output = $"/demo/wordcount-{DateTime.UtcNow:yyyyMMdd-HHmmss}";
        console.MarkupLine($"\n[bold]3. Run word count[/] into {output}, {Reducers} reduces, and kill a worker mid-job with SIGKILL");
        string id = await jobs.SubmitAsync(new JobRequest
        {
            Name = "demo wordcount", User = Environment.UserName, Inputs = [CorpusPath], Output = output, Reducers = Reducers,
            Settings = new() { [JobSettings.BuiltIn] = "wordcount" },
        }, ct).ConfigureAwait(false);
        var status = (await CommandSupport.FindLeaderAsync(probe, target.Nodes, ct).ConfigureAwait(false)).Status;
        ulong leader = (ulong)(status.IsLeader ? status.Id : status.Leader ?? 0);
        ulong? killed = null;
        string killedAt = "";
        clock.Restart();
        JobDetail detail;
        while (true)
        {
            detail = await jobs.GetAsync(id, ct).ConfigureAwait(false);
            if (detail.Job.IsFinished)
            {
                break;
            }
            // As soon as maps are under way, kill a worker that is running one (not the leader).
            if (killed is null && detail.Job.MapProgress > 0
                && detail.Tasks.SelectMany(t => t.Attempts).Where(a => a.State == "running" && a.Node != leader).Select(a => a.Node).FirstOrDefault() is var victim && victim != 0)
            {
                killed = victim;
                killedAt = string.Create(CultureInfo.InvariantCulture, $"map {detail.Job.MapProgress:P0}, {clock.Elapsed.TotalSeconds:0.0} s in");
                await RunStepAsync(cli, ["node", "kill", victim.ToString(CultureInfo.InvariantCulture), "--data", data], ct).ConfigureAwait(false);
                console.MarkupLine($"   [red]killed node {victim}[/] at {killedAt}; the leader declares it lost after missing heartbeats and runs its work again");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(100), ct).ConfigureAwait(false);
        }
        var job = detail.Job;
        if (killed is null)
        {
            console.MarkupLine("   [yellow]the job finished before a worker could be killed[/] (a larger --size gives it time)");
        }
        if (job.State != JobStates.Succeeded)
        {
            throw new CliError($"the demo's job {job.Id} {job.State}: {job.Error}");
        }
        double seconds = ((job.FinishedAt ?? 0) - job.SubmittedAt) / 1000.0;
        int rerun = detail.Tasks.Sum(t => t.Attempts.Count(a => a.State is "killed" or "failed"));
        console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"   [green]{job.Id} succeeded[/] in {seconds:0.0} s ({job.Maps} maps, {job.DataLocalFraction:P0} data-local, {job.Reduces} reduces); {rerun} attempts were lost and run again"));

        console.MarkupLine("\n[bold]4. The top 20 words[/]");
        var top = await TopWordsAsync(fs, output, 20, ct).ConfigureAwait(false);
        var table = new Table().AddColumns("#", "word", "count");
        for (int i = 0; i < top.Count; i++)
        {
            table.AddRow((i + 1).ToString(CultureInfo.InvariantCulture), Markup.Escape(top[i].Word), top[i].Count.ToString("N0", CultureInfo.InvariantCulture));
        }
        console.Write(table);
        console.MarkupLine("\n[bold]Counters[/]");
        foreach (var (name, value) in detail.Counters.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            console.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"   {Markup.Escape(name)} = {value:N0}"));
        }

        if (killed is { } dead)
        {
            console.MarkupLine($"\n[bold]5. Restart node {dead}[/]: it rejoins, catches up and takes work again");
            await RunStepAsync(cli, ["node", "start", dead.ToString(CultureInfo.InvariantCulture), "--data", data], ct).ConfigureAwait(false);
        }
        var leaderNode = target.Nodes.First(n => n.Id == (int)leader);
        console.MarkupLine($"\nDone in {total.Elapsed.TotalSeconds:0} s. Dashboard: [link]{leaderNode.Http}[/]");
        console.MarkupLine($"Read the output with [bold]./colony fs cat {output}/part-*[/]; stop the cluster with [bold]./colony down{(data == Path.GetFullPath(ClusterLayout.DefaultDirectoryName) ? "" : $" --data {Markup.Escape(data)}")}[/].");
        return 0;
    }

    /// <summary>The most frequent words of a word count's output, reading every part.</summary>
    /// <summary>fsck, or null while a new leader is still collecting block reports (it answers 503 then).</summary>
    private static async Task<FsckResult?> SettledFsckAsync(ColonyFileSystem fs, CancellationToken ct)
    {
        try
        {
            return await fs.FsckAsync("/", ct).ConfigureAwait(false);
        }
        catch (FsException e) when (e.StatusCode == 503)
        {
            return null;
        }
    }

    private static async Task<IReadOnlyList<(string Word, long Count)>> TopWordsAsync(ColonyFileSystem fs, string output, int count, CancellationToken ct)
    {
        var best = new PriorityQueue<(string Word, long Count), long>();
        foreach (var part in (await fs.ListAsync(output, ct).ConfigureAwait(false)).Where(f => Path.GetFileName(f.Path).StartsWith("part-", StringComparison.Ordinal)))
        {
            var stream = await fs.OpenReadAsync(part.Path, ct).ConfigureAwait(false);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
            {
                int tab = line.LastIndexOf('\t');
                if (tab > 0 && long.TryParse(line.AsSpan(tab + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long n))
                {
                    best.Enqueue((line[..tab], n), n);
                    if (best.Count > count)
                    {
                        best.Dequeue();
                    }
                }
            }
        }
        var top = new List<(string, long)>();
        while (best.Count > 0)
        {
            top.Add(best.Dequeue());
        }
        top.Reverse();
        return top;
    }

    private static string Size(long bytes) => bytes >= 1L << 30
        ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.#} GiB")
        : string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):0} MiB");

    private static async Task RunStepAsync(CliContext cli, string[] args, CancellationToken ct)
    {
        int code = await CliApplication.RunAsync(args, cli.Environment, ct).ConfigureAwait(false);
        if (code != 0)
        {
            throw new CliError($"the demo stopped: colony {string.Join(' ', args)} failed", code);
        }
    }
}
