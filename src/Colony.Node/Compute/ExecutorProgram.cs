using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Colony.Client.Blocks;
using Colony.Client.FileSystem;
using Colony.Client.Security;
using Colony.Client.MapReduce;

namespace Colony.Node.Compute;

/// <summary>
/// The executor process, <c>colony executor</c>: runs one job's attempts on one node, on behalf of its worker.
/// It reads <see cref="ExecutorMessage"/> lines (run, kill) on standard input and writes progress and results
/// on standard output. It fetches the job's files once, loads the job in its own load context, reads map input
/// from the file system (the local replica first), serves nothing itself (the node serves its map outputs),
/// and writes reduce output to the job's temporary directory for the leader to commit.
/// </summary>
public sealed class ExecutorProgram : IAsyncDisposable
{
    /// <summary>The job's token (Security/ApiTokens), for an executor started for one job.</summary>
    public const string TokenVariable = "COLONY_EXECUTOR_TOKEN";

    /// <summary>The password of the node's PKCS#12 certificate, when TLS is on and it has one.</summary>
    public const string CertificatePasswordVariable = "COLONY_EXECUTOR_TLS_PASSWORD";

    /// <summary>Counter: input bytes a map read from storage.</summary>
    public const string InputBytesCounter = "FileSystem.BytesRead";

    /// <summary>Counter: the part of <see cref="InputBytesCounter"/> read straight from a local replica's files.</summary>
    public const string LocalInputBytesCounter = "FileSystem.LocalBytesRead";

    /// <summary>The file-system directory a job's shipped files were uploaded to.</summary>
    public const string StagingSetting = "colony.job.staging";

    private const int ParallelFetches = 4;
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromMilliseconds(500);

    private readonly Uri _node;
    private readonly string? _dataAddress;
    private readonly string? _blockDirectory;
    private readonly long _sortBuffer;
    private readonly HttpClient _http;
    private readonly ClusterTrust? _tls;
    private readonly bool _peerTls;
    private readonly SemaphoreSlim _output = new(1, 1);
    private readonly SemaphoreSlim _loadLock = new(1, 1);
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _attempts = new();
    private LoadedJob? _loaded;
    private JobBinding? _binding;

    /// <summary>The job this executor serves, its work directory, and a file-system client named after it.</summary>
    private sealed record JobBinding(string Job, string Work, ColonyFileSystem Fs);

    private ExecutorProgram(Uri node, string? dataAddress, string? blockDirectory, long sortBuffer, ClusterTrust? tls, bool peerTls)
    {
        _tls = tls;
        _peerTls = peerTls;
        _http = new HttpClient(ClusterTrust.HttpHandler(tls)) { Timeout = TimeSpan.FromMinutes(5) };
        _node = node;
        _dataAddress = dataAddress;
        _blockDirectory = blockDirectory;
        _sortBuffer = sortBuffer;
    }

    private JobBinding Bound => _binding ?? throw new InvalidOperationException("the executor has not been given a job");

    /// <summary>Ties this executor to its one job; a standby executor gets it when a worker takes it.</summary>
    private void Bind(string job, string work, string token)
    {
        if (_binding is { } bound)
        {
            if (bound.Job != job)
            {
                throw new InvalidOperationException($"this executor serves {bound.Job}, not {job}");
            }
            return;
        }
        Directory.CreateDirectory(work);
        // Everything the executor does, it does as the job's user: its token reaches this job's files and map outputs only.
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        _binding = new JobBinding(job, work, new ColonyFileSystem([_node], token, new ColonyFileSystemOptions
        {
            ClientName = $"executor-{job}-{Environment.ProcessId}", LocalDataNode = _dataAddress, LocalBlockDirectory = _blockDirectory,
            Tls = _tls, Transfer = new BlockTransferOptions { Tls = _peerTls ? _tls : null },
        }));
    }

    /// <summary>
    /// Runs until standard input closes (the worker went away or stopped the job). Started with <c>--job</c> and
    /// <c>--work</c>, it serves that job; started with <c>--standby</c>, it warms up and waits for an
    /// <c>assign</c> message naming its job.
    /// </summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        string? Arg(string name) => args.Select((a, i) => (a, i)).Where(p => p.a == name && p.i + 1 < args.Count).Select(p => args[p.i + 1]).FirstOrDefault();
        bool standby = args.Contains("--standby");
        string? job = Arg("--job");
        string? work = Arg("--work");
        string? token = Environment.GetEnvironmentVariable(TokenVariable);
        if (Arg("--node-http") is not { } node || (!standby && (job is null || work is null || string.IsNullOrEmpty(token))))
        {
            await Console.Error.WriteLineAsync("colony executor: started by a worker only (--node-http, and --job with --work and the job's token, or --standby, are required)").ConfigureAwait(false);
            return 2;
        }
        long sortBuffer = long.TryParse(Arg("--sort-buffer"), CultureInfo.InvariantCulture, out long b) ? b : 64L * 1024 * 1024;
        var tls = Arg("--tls-ca") is { } ca
            ? ClusterTrust.FromFiles(ca, Arg("--tls-cert"), Arg("--tls-key") is { Length: > 0 } key ? key : null, Environment.GetEnvironmentVariable(CertificatePasswordVariable))
            : null;
        await using var program = new ExecutorProgram(new Uri(node), Arg("--data-address"), Arg("--block-directory"), sortBuffer, tls, args.Contains("--tls-peers"));
        if (!standby)
        {
            program.Bind(job!, work!, token!);
        }
        await program.ServeAsync(standby).ConfigureAwait(false);
        return 0;
    }

    private async Task ServeAsync(bool standby)
    {
        using var warmup = new CancellationTokenSource();
        var warming = standby ? Task.Run(() => WarmUpAsync(warmup.Token)) : Task.CompletedTask;
        using var input = new StreamReader(Console.OpenStandardInput());
        var running = new List<Task>();
        while (await input.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            ExecutorMessage? message;
            try
            {
                message = JsonSerializer.Deserialize(line, ComputeJson.Default.ExecutorMessage);
            }
            catch (JsonException)
            {
                continue;
            }
            if (message is { Op: "assign", Job: { } job, Work: { } work, Token: { } token })
            {
                // The job's tasks come next: they get the CPU, not the rest of the warm-up.
                await warmup.CancelAsync().ConfigureAwait(false);
                Bind(job, work, token);
            }
            else if (message is { Op: "run", Launch: { } launch })
            {
                var cancel = new CancellationTokenSource();
                if (_attempts.TryAdd(launch.Attempt, cancel))
                {
                    running.Add(Task.Run(() => RunAttemptAsync(launch, cancel.Token)));
                }
            }
            else if (message is { Op: "kill", Attempt: { } attempt } && _attempts.TryGetValue(attempt, out var cancel))
            {
                await cancel.CancelAsync().ConfigureAwait(false);
            }
            running.RemoveAll(t => t.IsCompleted);
        }
        await warmup.CancelAsync().ConfigureAwait(false);
        foreach (var cancel in _attempts.Values)
        {
            await cancel.CancelAsync().ConfigureAwait(false);
        }
        await Task.WhenAll(running).ConfigureAwait(false);
        await warming.ConfigureAwait(false);
    }

    private static async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        try
        {
            await ExecutorWarmup.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Only a warm-up: the executor serves its job all the same, a little slower at first.
            await Console.Error.WriteLineAsync($"warm-up skipped: {e.Message}").ConfigureAwait(false);
        }
    }

    private async Task RunAttemptAsync(AttemptLaunch launch, CancellationToken cancellationToken)
    {
        var reporter = new ThrottledReporter(this, launch.Attempt);
        ExecutorMessage result;
        try
        {
            var job = await LoadAsync(launch.Settings, cancellationToken).ConfigureAwait(false);
            var location = MapOutputLocation.In(Bound.Work, launch.Attempt);
            if (Directory.Exists(location.Directory))
            {
                Directory.Delete(location.Directory, recursive: true); // an earlier run of this attempt on a restarted executor
            }
            Directory.CreateDirectory(location.Directory);
            var (output, counters) = launch.Kind == "map"
                ? await RunMapAsync(job, launch, location, reporter, cancellationToken).ConfigureAwait(false)
                : await RunReduceAsync(job, launch, location, reporter, cancellationToken).ConfigureAwait(false);
            result = new ExecutorMessage { Op = "done", Attempt = launch.Attempt, Succeeded = true, Output = output, Counters = counters };
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            result = new ExecutorMessage { Op = "done", Attempt = launch.Attempt, Succeeded = false, Error = "killed" };
        }
        catch (Exception e)
        {
            result = new ExecutorMessage { Op = "done", Attempt = launch.Attempt, Succeeded = false, Error = Describe(e) };
        }
        finally
        {
            if (_attempts.TryRemove(launch.Attempt, out var cancel))
            {
                cancel.Dispose();
            }
        }
        await SendAsync(result).ConfigureAwait(false);
    }

    private async Task<(string Output, IReadOnlyDictionary<string, long> Counters)> RunMapAsync(
        LoadedJob job, AttemptLaunch launch, MapOutputLocation location, ITaskReporter reporter, CancellationToken cancellationToken)
    {
        var input = await Bound.Fs.OpenReadAsync(launch.InputPath ?? throw new InvalidDataException("a map needs an input"), cancellationToken).ConfigureAwait(false);
        await using (input.ConfigureAwait(false))
        {
            Stream? mapOnly = null;
            string? temporary = null;
            if (launch.Reducers == 0)
            {
                temporary = JobCommitter.TemporaryPart(launch.Output, launch.Attempt, launch.Index);
                mapOnly = await Bound.Fs.CreateAsync(temporary, new FsCreateOptions { Overwrite = true }, cancellationToken).ConfigureAwait(false);
            }
            try
            {
                var result = await MapTaskRunner.RunAsync(new MapTaskSpec
                {
                    Job = job, TaskId = launch.Attempt, Input = input, InputPath = launch.InputPath, SplitStart = launch.SplitOffset,
                    SplitLength = launch.SplitLength, Reducers = launch.Reducers, WorkDirectory = location.Directory, MapOnlyOutput = mapOnly,
                    SortBufferBytes = _sortBuffer, Settings = launch.Settings,
                }, reporter, cancellationToken).ConfigureAwait(false);
                var counters = WithInputCounters(result.Counters, input);
                if (mapOnly is not null)
                {
                    await mapOnly.DisposeAsync().ConfigureAwait(false); // closing completes the file
                    mapOnly = null;
                    return (temporary!, counters);
                }
                // The node serves the output from fixed names in the attempt's directory.
                MoveInto(result.OutputFile, location.Data);
                MoveInto(result.IndexFile, location.Index);
                return ($"{_node.ToString().TrimEnd('/')}/internal/shuffle/{launch.Attempt}", counters);
            }
            finally
            {
                if (mapOnly is not null)
                {
                    await mapOnly.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>The task's counters plus how many input bytes it read, and how many of them straight from a local replica.</summary>
    private static Dictionary<string, long> WithInputCounters(IReadOnlyDictionary<string, long> counters, Stream input)
    {
        var all = new Dictionary<string, long>(counters, StringComparer.Ordinal);
        if (input is FileReadStream read)
        {
            all[InputBytesCounter] = read.BytesFetched;
            all[LocalInputBytesCounter] = read.LocalBytesFetched;
        }
        return all;
    }

    private static void MoveInto(string? file, string target)
    {
        if (file is null)
        {
            throw new InvalidDataException("the map produced no output file");
        }
        if (!string.Equals(Path.GetFullPath(file), Path.GetFullPath(target), StringComparison.Ordinal))
        {
            File.Move(file, target, overwrite: true);
        }
    }

    private async Task<(string Output, IReadOnlyDictionary<string, long> Counters)> RunReduceAsync(
        LoadedJob job, AttemptLaunch launch, MapOutputLocation location, ThrottledReporter reporter, CancellationToken cancellationToken)
    {
        var segments = await FetchAsync(launch, location.Directory, reporter, cancellationToken).ConfigureAwait(false);
        string temporary = JobCommitter.TemporaryPart(launch.Output, launch.Attempt, launch.Index);
        var output = await Bound.Fs.CreateAsync(temporary, new FsCreateOptions { Overwrite = true }, cancellationToken).ConfigureAwait(false);
        ReduceTaskResult result;
        await using (output.ConfigureAwait(false))
        {
            // The fetch was the first third of the work; the merge and reduce are the rest.
            var scaled = new ScaledReporter(reporter, 1.0 / 3, 2.0 / 3);
            result = await ReduceTaskRunner.RunAsync(new ReduceTaskSpec
            {
                Job = job, TaskId = launch.Attempt, Partition = launch.Index, SegmentFiles = segments, Output = output,
                WorkDirectory = location.Directory, Settings = launch.Settings,
            }, scaled, cancellationToken).ConfigureAwait(false);
        }
        foreach (string segment in segments)
        {
            File.Delete(segment);
        }
        return (temporary, result.Counters);
    }

    /// <summary>
    /// Fetches this reduce's partition from every map, as maps finish: the leader lists the succeeded maps, the
    /// reduce copies what it lacks (a few at a time) to local files, and tells the leader about outputs it cannot
    /// reach so those maps run again. A map that ran again is fetched again from its new attempt.
    /// </summary>
    private async Task<IReadOnlyList<string>> FetchAsync(AttemptLaunch launch, string directory, ThrottledReporter reporter, CancellationToken cancellationToken)
    {
        var fetched = new Dictionary<int, (string Attempt, string File)>();
        var failed = new Dictionary<string, int>(StringComparer.Ordinal);
        using var limit = new SemaphoreSlim(ParallelFetches);
        while (true)
        {
            var view = await GetMapOutputsAsync(launch.Job, cancellationToken).ConfigureAwait(false);
            if (view.State is not ("running" or "committing"))
            {
                throw new OperationCanceledException($"job {launch.Job} is {view.State}");
            }
            var wanted = view.Outputs.Where(o => !fetched.TryGetValue(o.Map, out var have) || have.Attempt != o.Attempt).ToArray();
            var copies = wanted.Select(async o =>
            {
                await limit.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    string file = Path.Combine(directory, $"segment-{o.Map:D5}-{o.Attempt}");
                    string? error = await CopySegmentAsync(new Uri($"{o.Url}/{launch.Index}"), file, cancellationToken).ConfigureAwait(false);
                    return (Output: o, File: file, Error: error);
                }
                finally
                {
                    limit.Release();
                }
            }).ToArray();
            foreach (var (output, file, error) in await Task.WhenAll(copies).ConfigureAwait(false))
            {
                if (error is null)
                {
                    if (fetched.TryGetValue(output.Map, out var old) && old.File != file)
                    {
                        File.Delete(old.File);
                    }
                    fetched[output.Map] = (output.Attempt, file);
                }
                else
                {
                    failed[output.Attempt] = failed.GetValueOrDefault(output.Attempt) + 1;
                    await ReportFetchFailureAsync(output.Attempt, launch.Attempt, error, cancellationToken).ConfigureAwait(false);
                }
            }
            // Outputs that ran again elsewhere replace the ones fetched from their lost attempt.
            var current = view.Outputs.ToDictionary(o => o.Map, o => o.Attempt);
            foreach (var map in fetched.Keys.Where(m => !current.ContainsKey(m)).ToArray())
            {
                File.Delete(fetched[map].File);
                fetched.Remove(map);
            }
            reporter.Progress(view.Maps == 0 ? 1.0 / 3 : fetched.Count / (double)view.Maps / 3);
            if (fetched.Count == view.Maps && view.Outputs.All(o => fetched.TryGetValue(o.Map, out var f) && f.Attempt == o.Attempt))
            {
                return [.. fetched.OrderBy(f => f.Key).Select(f => f.Value.File)];
            }
            await Task.Delay(TimeSpan.FromMilliseconds(wanted.Length == 0 ? 500 : 100), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<MapOutputsView> GetMapOutputsAsync(string job, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                using var response = await _http.GetAsync(new Uri(_node, $"/internal/compute/jobs/{job}/map-outputs"), cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return (await response.Content.ReadFromJsonAsync(ComputeJson.Default.MapOutputsView, cancellationToken).ConfigureAwait(false))!;
                }
                if (attempt >= 60)
                {
                    throw new IOException($"the leader did not list the map outputs (HTTP {(int)response.StatusCode})");
                }
            }
            catch (HttpRequestException) when (attempt < 60)
            {
            }
            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken).ConfigureAwait(false); // no leader yet
        }
    }

    /// <returns>Null when the segment was copied whole, else why not.</returns>
    private async Task<string?> CopySegmentAsync(Uri source, string file, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.GetAsync(source, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return $"HTTP {(int)response.StatusCode} from {source.Authority}";
            }
            long expected = response.Content.Headers.ContentLength ?? -1;
            var target = new FileStream(file, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
            await using (target.ConfigureAwait(false))
            {
                await response.Content.CopyToAsync(target, cancellationToken).ConfigureAwait(false);
                if (expected >= 0 && target.Length != expected)
                {
                    return $"{source.Authority} sent {target.Length} of {expected} bytes";
                }
            }
            return null;
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return $"{source.Authority}: {e.Message}";
        }
    }

    private async Task ReportFetchFailureAsync(string mapAttempt, string reporter, string reason, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.PostAsJsonAsync(new Uri(_node, "/internal/compute/fetch-failures"),
                new FetchFailureReport(mapAttempt, reporter, reason), ComputeJson.Default.FetchFailureReport, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            // The next round reports it again.
        }
    }

    /// <summary>Fetches the job's shipped files once, then loads the job (in its own load context, for assemblies).</summary>
    private async Task<LoadedJob> LoadAsync(IReadOnlyDictionary<string, string> settings, CancellationToken cancellationToken)
    {
        await _loadLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_loaded is not null)
            {
                return _loaded;
            }
            string files = Path.Combine(Bound.Work, "files");
            Directory.CreateDirectory(files);
            if (settings.TryGetValue(StagingSetting, out string? staging))
            {
                foreach (var entry in await Bound.Fs.ListAsync(staging, cancellationToken).ConfigureAwait(false))
                {
                    if (entry.IsDirectory)
                    {
                        continue;
                    }
                    string local = Path.Combine(files, Path.GetFileName(entry.Path));
                    var source = await Bound.Fs.OpenReadAsync(entry.Path, cancellationToken).ConfigureAwait(false);
                    await using (source.ConfigureAwait(false))
                    {
                        var target = File.Create(local);
                        await using (target.ConfigureAwait(false))
                        {
                            await source.CopyToAsync(target, cancellationToken).ConfigureAwait(false);
                        }
                    }
                    if (!OperatingSystem.IsWindows())
                    {
                        // Streaming scripts are run as programs.
                        File.SetUnixFileMode(local, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
                    }
                }
            }
            return _loaded = JobLoader.Load(settings, files);
        }
        finally
        {
            _loadLock.Release();
        }
    }

    private async Task SendAsync(ExecutorMessage message)
    {
        string line = JsonSerializer.Serialize(message, ComputeJson.Default.ExecutorMessage);
        await _output.WaitAsync().ConfigureAwait(false);
        try
        {
            await Console.Out.WriteLineAsync(line).ConfigureAwait(false);
            await Console.Out.FlushAsync().ConfigureAwait(false);
        }
        finally
        {
            _output.Release();
        }
    }

    /// <summary>The error an attempt reports: the exception's type and message, and where user code threw it.</summary>
    private static string Describe(Exception e)
    {
        var inner = e is AggregateException { InnerExceptions.Count: 1 } aggregate ? aggregate.InnerExceptions[0] : e;
        string where = inner.StackTrace?.Split('\n', StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";
        string text = $"{inner.GetType().Name}: {inner.Message}" + (where.Length > 0 ? $" ({where})" : "");
        return text.Length > 2000 ? text[..2000] : text;
    }

    public async ValueTask DisposeAsync()
    {
        _loaded?.Dispose();
        _binding?.Fs.Dispose();
        _http.Dispose();
        _output.Dispose();
        _loadLock.Dispose();
        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <summary>Sends an attempt's progress to the worker at most twice a second.</summary>
    private sealed class ThrottledReporter(ExecutorProgram program, string attempt) : ITaskReporter
    {
        private long _lastSent;

        public void Progress(double fraction)
        {
            long now = Environment.TickCount64;
            if (now - Interlocked.Read(ref _lastSent) < ProgressEvery.TotalMilliseconds)
            {
                return;
            }
            Interlocked.Exchange(ref _lastSent, now);
            _ = program.SendAsync(new ExecutorMessage { Op = "progress", Attempt = attempt, Progress = fraction });
        }
    }

    /// <summary>Maps a phase's 0..1 onto its share of the whole attempt.</summary>
    private sealed class ScaledReporter(ITaskReporter inner, double start, double share) : ITaskReporter
    {
        public void Progress(double fraction) => inner.Progress(start + (share * Math.Clamp(fraction, 0, 1)));
    }
}
