using System.CommandLine;
using System.CommandLine.Parsing;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Colony.Client.FileSystem;
using Colony.Client.Jobs;
using Colony.Client.MapReduce;
using Colony.Node.Compute;
using Spectre.Console;

namespace Colony.Cli.Commands;

/// <summary>
/// <c>colony job run|submit|status|list|kill|wait|logs</c>: MapReduce jobs on the cluster. <c>run</c> starts a
/// built-in job (wordcount, grep, sort); <c>submit</c> ships a job assembly or streaming executables. Both wait
/// with a live progress bar unless told not to, then print the counters.
/// </summary>
internal static class JobCommands
{
    public static Command Create(CliContext cli) =>
        new("job", "Run MapReduce jobs: run, submit, status, list, kill, wait, logs")
        {
            CreateRun(cli), CreateSubmit(cli), CreateStatus(cli), CreateList(cli), CreateKill(cli), CreateWait(cli), CreateLogs(cli),
        };

    private sealed record CommonOptions(
        Option<string[]> Input, Option<string> Output, Option<int?> Reducers, Option<int> Priority, Option<bool> Detach, Option<string[]> Set, Option<string?> Name)
    {
        public static CommonOptions Create() => new(
            new Option<string[]>("--input", "-i") { Description = "Input files or directories in the cluster's file system", Required = true, AllowMultipleArgumentsPerToken = true },
            new Option<string>("--output", "-o") { Description = "The output directory (must not exist)", Required = true },
            new Option<int?>("--reducers", "-r") { Description = "Reduce tasks, hence output files (default 1; 0 for a map-only job)" },
            new Option<int>("--priority") { Description = "Higher runs first when jobs share the cluster (default 0)" },
            new Option<bool>("--detach", "-d") { Description = "Print the job id and return at once" },
            new Option<string[]>("--set") { Description = "A job setting, KEY=VALUE (repeatable)" },
            new Option<string?>("--name") { Description = "The job's name" });

        public void AddTo(Command command)
        {
            foreach (var option in (Option[])[Input, Output, Reducers, Priority, Detach, Set, Name])
            {
                command.Options.Add(option);
            }
        }
    }

    private static Command CreateRun(CliContext cli)
    {
        var builtIn = new Argument<string>("JOB") { Description = "wordcount, grep or sort" };
        var pattern = new Option<string?>("--pattern") { Description = "grep: the regular expression lines must match" };
        var common = CommonOptions.Create();
        var command = new Command("run", "Run a built-in job: wordcount, grep PATTERN, or sort") { builtIn, pattern };
        common.AddTo(command);
        command.SetAction((parse, ct) =>
        {
            string name = parse.GetValue(builtIn)!;
            if (name is not ("wordcount" or "grep" or "sort"))
            {
                throw new CliError($"unknown job '{name}': the built-in jobs are wordcount, grep and sort (colony job submit runs your own)", CliError.Usage);
            }
            var settings = new Dictionary<string, string>(StringComparer.Ordinal) { [JobSettings.BuiltIn] = name };
            if (name == "grep")
            {
                settings[JobSettings.GrepPattern] = parse.GetValue(pattern) ?? throw new CliError("grep needs --pattern REGEX", CliError.Usage);
            }
            return RunJobAsync(cli, parse, common, name, settings, [], ct);
        });
        return command;
    }

    private static Command CreateSubmit(CliContext cli)
    {
        var assembly = new Option<string?>("--assembly") { Description = "A job assembly (.dll); the files beside it are shipped too" };
        var jobType = new Option<string?>("--job") { Description = "The job class in the assembly, by full name" };
        var mapper = new Option<string?>("--mapper") { Description = "Streaming: the command that maps (lines on stdin, key<TAB>value lines out)" };
        var reducer = new Option<string?>("--reducer") { Description = "Streaming: the command that reduces (sorted key<TAB>value lines on stdin)" };
        var combiner = new Option<string?>("--combiner") { Description = "Streaming: a command that combines map output before the shuffle" };
        var files = new Option<string[]>("--file") { Description = "A local file to ship to every task's working directory (repeatable)" };
        var common = CommonOptions.Create();
        var command = new Command("submit", "Submit a job: a .NET job assembly (--assembly, --job) or streaming commands (--mapper, --reducer)")
        {
            assembly, jobType, mapper, reducer, combiner, files,
        };
        common.AddTo(command);
        command.SetAction((parse, ct) =>
        {
            var settings = new Dictionary<string, string>(StringComparer.Ordinal);
            var ship = new List<string>(parse.GetValue(files) ?? []);
            string name;
            if (parse.GetValue(assembly) is { } dll)
            {
                string full = Path.GetFullPath(dll, cli.Environment.WorkingDirectory);
                if (!File.Exists(full))
                {
                    throw new CliError($"{dll}: no such file");
                }
                string type = parse.GetValue(jobType) ?? throw new CliError("--assembly needs --job TYPE, the job class's full name", CliError.Usage);
                settings[JobSettings.AssemblyFile] = Path.GetFileName(full);
                settings[JobSettings.JobType] = type;
                // The assembly and what it depends on: every library and manifest beside it.
                ship.AddRange(Directory.EnumerateFiles(Path.GetDirectoryName(full)!).Where(f => f.EndsWith(".dll", StringComparison.Ordinal) || f.EndsWith(".json", StringComparison.Ordinal)));
                name = type;
            }
            else if (parse.GetValue(mapper) is { } map)
            {
                settings[JobSettings.StreamingMapper] = map;
                if (parse.GetValue(reducer) is { } reduce)
                {
                    settings[JobSettings.StreamingReducer] = reduce;
                }
                if (parse.GetValue(combiner) is { } combine)
                {
                    settings[JobSettings.StreamingCombiner] = combine;
                }
                name = $"streaming: {map}";
            }
            else
            {
                throw new CliError("submit needs --assembly DLL --job TYPE, or --mapper COMMAND", CliError.Usage);
            }
            return RunJobAsync(cli, parse, common, name, settings, [.. ship.Select(f => Path.GetFullPath(f, cli.Environment.WorkingDirectory)).Distinct()], ct);
        });
        return command;
    }

    /// <summary>
    /// Ships the job's files, lets the job prepare (sort samples its input here), submits it, and waits unless
    /// detached. A job of several steps runs them in turn, each reading the one before's output.
    /// </summary>
    private static async Task<int> RunJobAsync(CliContext cli, ParseResult parse, CommonOptions common, string defaultName,
        Dictionary<string, string> settings, IReadOnlyList<string> ship, CancellationToken ct)
    {
        foreach (string pair in parse.GetValue(common.Set) ?? [])
        {
            int equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new CliError($"--set {pair}: expected KEY=VALUE", CliError.Usage);
            }
            settings[pair[..equals]] = pair[(equals + 1)..];
        }
        var target = cli.RemoteCluster(parse);
        var token = FsCommands.Token(cli, target);
        using var fs = new ColonyFileSystem([.. target.Nodes.Select(n => n.Http)], token, target.FileSystemOptions());
        using var client = new JobClient([.. target.Nodes.Select(n => n.Http)], token, target.Tls);
        string output = parse.GetValue(common.Output)!;
        IReadOnlyList<string> inputs = parse.GetValue(common.Input)!;
        int reducers = parse.GetValue(common.Reducers) ?? 1;
        string name = parse.GetValue(common.Name) ?? defaultName;
        string? staging = null;
        string local = Path.Combine(Path.GetTempPath(), $"colony-job-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(local);
            if (ship.Count > 0)
            {
                staging = $"/colony/staging/{Guid.NewGuid():N}";
                await UploadAsync(fs, staging, ship, ct).ConfigureAwait(false);
                settings[ExecutorProgram.StagingSetting] = staging;
                foreach (string file in ship)
                {
                    File.Copy(file, Path.Combine(local, Path.GetFileName(file)), overwrite: true);
                }
            }
            using var job = JobLoader.Load(settings, local);
            int steps = Math.Max(1, job.StepCount);
            string? lastId = null;
            IReadOnlyList<string> stepInputs = inputs;
            for (int step = 0; step < steps; step++)
            {
                var stepSettings = new Dictionary<string, string>(settings, StringComparer.Ordinal);
                if (steps > 1)
                {
                    stepSettings[JobSettings.Step] = step.ToString(CultureInfo.InvariantCulture);
                }
                string stepOutput = step == steps - 1 ? output : $"{output.TrimEnd('/')}-step-{step + 1}";
                using var stepJob = steps > 1 ? JobLoader.Load(stepSettings, local) : null;
                foreach (var (key, value) in await PrepareAsync(stepJob ?? job, fs, stepInputs, reducers, stepSettings, ct).ConfigureAwait(false))
                {
                    stepSettings[key] = value;
                }
                lastId = await client.SubmitAsync(new JobRequest
                {
                    Name = steps > 1 ? $"{name} (step {step + 1} of {steps})" : name,
                    User = Environment.UserName,
                    Priority = parse.GetValue(common.Priority),
                    Inputs = stepInputs,
                    Output = stepOutput,
                    Reducers = reducers,
                    Settings = stepSettings,
                }, ct).ConfigureAwait(false);
                if (parse.GetValue(common.Detach) && steps == 1)
                {
                    cli.Environment.Out.WriteLine(lastId);
                    staging = null; // the job still needs its files
                    return 0;
                }
                var detail = await WatchAsync(cli, client, lastId, ct).ConfigureAwait(false);
                if (detail.Job.State != JobStates.Succeeded)
                {
                    return Report(cli, detail);
                }
                if (step < steps - 1)
                {
                    Report(cli, detail);
                }
                else
                {
                    return Report(cli, detail);
                }
                stepInputs = [stepOutput];
            }
            return 0;
        }
        catch (JobException e)
        {
            throw new CliError(e.Message);
        }
        catch (FsException e)
        {
            throw new CliError(e.Message);
        }
        catch (HttpRequestException e)
        {
            throw new CliError($"no node answered: {e.Message}; is the cluster up? (colony status)");
        }
        finally
        {
            Directory.Delete(local, recursive: true);
            if (staging is not null)
            {
                try
                {
                    await fs.DeleteAsync(staging, recursive: true, skipTrash: true, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception e) when (e is FsException or HttpRequestException)
                {
                    // Left behind; harmless.
                }
            }
        }
    }

    private static async Task UploadAsync(ColonyFileSystem fs, string staging, IReadOnlyList<string> files, CancellationToken ct)
    {
        await fs.MkdirsAsync(staging, cancellationToken: ct).ConfigureAwait(false);
        foreach (string file in files)
        {
            if (!File.Exists(file))
            {
                throw new CliError($"{file}: no such file");
            }
            var source = File.OpenRead(file);
            await using (source.ConfigureAwait(false))
            {
                var target = await fs.CreateAsync($"{staging}/{Path.GetFileName(file)}", new FsCreateOptions { Overwrite = true }, ct).ConfigureAwait(false);
                await using (target.ConfigureAwait(false))
                {
                    await source.CopyToAsync(target, ct).ConfigureAwait(false);
                }
            }
        }
    }

    private static async Task<IReadOnlyDictionary<string, string>> PrepareAsync(LoadedJob job, ColonyFileSystem fs, IReadOnlyList<string> inputs, int reducers,
        IReadOnlyDictionary<string, string> settings, CancellationToken ct)
    {
        var files = new List<(string Path, long Length)>();
        foreach (string input in inputs)
        {
            var status = await fs.StatAsync(input, ct).ConfigureAwait(false) ?? throw new CliError($"input {input}: no such file or directory");
            if (status.IsDirectory)
            {
                files.AddRange((await fs.ListAsync(input, ct).ConfigureAwait(false))
                    .Where(f => !f.IsDirectory && !Path.GetFileName(f.Path).StartsWith('_') && !Path.GetFileName(f.Path).StartsWith('.'))
                    .OrderBy(f => f.Path, StringComparer.Ordinal).Select(f => (f.Path, f.Length)));
            }
            else
            {
                files.Add((status.Path, status.Length));
            }
        }
        return await job.PrepareAsync(new JobPreparationContext
        {
            Inputs = files,
            Reducers = reducers,
            OpenInput = (path, token) => fs.OpenReadAsync(path, token),
            Settings = settings,
        }, ct).ConfigureAwait(false);
    }

    /// <summary>Waits for the job, with a live progress bar on a terminal.</summary>
    private static async Task<JobDetail> WatchAsync(CliContext cli, JobClient client, string id, CancellationToken ct)
    {
        if (!cli.Environment.IsTerminal)
        {
            return await client.WaitAsync(id, cancellationToken: ct).ConfigureAwait(false);
        }
        JobDetail? last = null;
        await cli.Environment.Console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var maps = context.AddTask("map", maxValue: 100);
                var reduces = context.AddTask("reduce", maxValue: 100);
                last = await client.WaitAsync(id, detail =>
                {
                    var job = detail.Job;
                    maps.Description = $"map    {job.MapsDone}/{job.Maps}";
                    maps.Value = job.MapProgress * 100;
                    reduces.Description = $"reduce {job.ReducesDone}/{job.Reduces} ({job.RunningAttempts} running, {job.FailedAttempts} failed)";
                    reduces.Value = job.ReduceProgress * 100;
                }, cancellationToken: ct).ConfigureAwait(false);
            }).ConfigureAwait(false);
        return last!;
    }

    /// <summary>Prints how the job ended and its counters; the exit code is 0 only when it succeeded.</summary>
    private static int Report(CliContext cli, JobDetail detail)
    {
        var job = detail.Job;
        var output = cli.Environment.Out;
        double seconds = ((job.FinishedAt ?? job.SubmittedAt) - job.SubmittedAt) / 1000.0;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{job.Id} {job.State} in {seconds:0.0} s: {job.Maps} maps ({job.DataLocalFraction:P0} data-local), {job.Reduces} reduces, {job.FailedAttempts} failed attempts"));
        foreach (var (name, value) in detail.Counters.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name} = {value:N0}"));
        }
        if (job.State == JobStates.Succeeded)
        {
            output.WriteLine($"output: {job.Output}/part-*");
            return 0;
        }
        throw new CliError($"job {job.Id} {job.State}: {job.Error ?? "no reason given"}");
    }

    private static Command CreateStatus(CliContext cli)
    {
        var id = new Argument<string>("ID") { Description = "The job's id, e.g. job-000001" };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var command = new Command("status", "Show a job: state, progress, tasks and counters") { id, json };
        command.SetAction((parse, ct) => WithClientAsync(cli, parse, async client =>
        {
            var detail = await client.GetAsync(parse.GetValue(id)!, ct).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                cli.Environment.Out.WriteLine(JsonSerializer.Serialize(detail, JobJson.Default.JobDetail));
                return;
            }
            var job = detail.Job;
            cli.Environment.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{job.Id} {job.Name}: {job.State}, map {job.MapProgress:P0} ({job.MapsDone}/{job.Maps}), reduce {job.ReduceProgress:P0} ({job.ReducesDone}/{job.Reduces}), {job.FailedAttempts} failed attempts"));
            if (job.Error is { } error)
            {
                cli.Environment.Out.WriteLine($"error: {error}");
            }
            foreach (var (name, value) in detail.Counters.OrderBy(c => c.Key, StringComparer.Ordinal))
            {
                cli.Environment.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name} = {value:N0}"));
            }
        }, ct));
        return command;
    }

    private static Command CreateList(CliContext cli)
    {
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var command = new Command("list", "List jobs, newest first") { json };
        command.SetAction((parse, ct) => WithClientAsync(cli, parse, async client =>
        {
            var jobs = await client.ListAsync(ct).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                cli.Environment.Out.WriteLine(JsonSerializer.Serialize(new JobList(jobs), JobJson.Default.JobList));
                return;
            }
            cli.Environment.Out.WriteLine($"{"ID",-12} {"STATE",-10} {"MAP",5} {"REDUCE",6}  NAME");
            foreach (var job in jobs)
            {
                cli.Environment.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{job.Id,-12} {job.State,-10} {job.MapProgress,5:P0} {job.ReduceProgress,6:P0}  {job.Name}"));
            }
        }, ct));
        return command;
    }

    private static Command CreateKill(CliContext cli)
    {
        var id = new Argument<string>("ID") { Description = "The job's id" };
        var command = new Command("kill", "Kill a running job: its attempts stop and its temporary output is removed") { id };
        command.SetAction((parse, ct) => WithClientAsync(cli, parse, async client =>
        {
            var job = await client.KillAsync(parse.GetValue(id)!, ct).ConfigureAwait(false);
            cli.Environment.Out.WriteLine($"{job.Id} {job.State}");
        }, ct));
        return command;
    }

    private static Command CreateWait(CliContext cli)
    {
        var id = new Argument<string>("ID") { Description = "The job's id" };
        var command = new Command("wait", "Wait for a job to finish, with a progress bar; exits 0 only if it succeeded") { id };
        command.SetAction((parse, ct) => WithClientAsync(cli, parse, async client =>
        {
            var detail = await WatchAsync(cli, client, parse.GetValue(id)!, ct).ConfigureAwait(false);
            Report(cli, detail);
        }, ct));
        return command;
    }

    private static Command CreateLogs(CliContext cli)
    {
        var id = new Argument<string>("ID") { Description = "The job's id" };
        var task = new Option<string?>("--task") { Description = "Only this task, e.g. job-000001-m-00003" };
        var command = new Command("logs", "Show a job's attempts: where each ran, how it ended, and its error") { id, task };
        command.SetAction((parse, ct) => WithClientAsync(cli, parse, async client =>
        {
            var detail = await client.GetAsync(parse.GetValue(id)!, ct).ConfigureAwait(false);
            string? only = parse.GetValue(task);
            foreach (var t in detail.Tasks.Where(t => only is null || t.Id == only))
            {
                foreach (var a in t.Attempts)
                {
                    double seconds = ((a.FinishedAt ?? a.StartedAt) - a.StartedAt) / 1000.0;
                    cli.Environment.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{a.Id} node {a.Node} {a.State} {seconds:0.0} s {a.Locality}{(a.Speculative ? " speculative" : "")}{(a.Error is { } e ? $": {e}" : "")}"));
                }
            }
        }, ct));
        return command;
    }

    private static async Task<int> WithClientAsync(CliContext cli, ParseResult parse, Func<JobClient, Task> action, CancellationToken ct)
    {
        var target = cli.RemoteCluster(parse);
        using var client = new JobClient([.. target.Nodes.Select(n => n.Http)], FsCommands.Token(cli, target), target.Tls);
        try
        {
            await action(client).ConfigureAwait(false);
            return 0;
        }
        catch (JobException e)
        {
            throw new CliError(e.Message);
        }
        catch (HttpRequestException e)
        {
            throw new CliError($"no node answered: {e.Message}; is the cluster up? (colony status)");
        }
    }
}
