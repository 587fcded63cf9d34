using System.Diagnostics;
using System.Globalization;
using System.Text;
using Colony.Client.FileSystem;
using Colony.Client.Jobs;
using Colony.FaultTests.Bed;

namespace Colony.FaultTests.Workloads;

/// <summary>How the compute workload runs.</summary>
public sealed record ComputeWorkloadOptions
{
    public int Seed { get; init; }

    /// <summary>The input's size in characters: with <see cref="BlockSize"/>, about six blocks, so six maps, and a line that spans blocks.</summary>
    public int InputBytes { get; init; } = 320 * 1024;

    public long BlockSize { get; init; } = 64 * 1024;

    public int Reducers { get; init; } = 2;

    public short Replication { get; init; } = 3;

    /// <summary>After the heal, how long the jobs still running may take to finish.</summary>
    public TimeSpan FinishBound { get; init; } = TimeSpan.FromSeconds(150);

    /// <summary>Whether a failed job is reported without being judged (see <see cref="WordCountCheck"/>).</summary>
    public bool FailuresExcused { get; init; }

    public string Root { get; init; } = "/compute";
}

/// <summary>
/// One client submits word counts of one input, written before the faults, one job after another: the
/// first before the nemesis starts, each next one once the last has finished, each to an output of its
/// own. After the heal every job the cluster accepted must finish, and <see cref="WordCountCheck"/>
/// compares its output with the undisturbed answer computed here.
/// </summary>
public sealed class ComputeWorkload(ComputeWorkloadOptions options) : IFaultWorkload
{
    private static readonly TimeSpan SubmitTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private readonly List<Submission> _submissions = [];
    private readonly Lock _gate = new();
    private byte[] _input = [];
    private IReadOnlyList<byte[]> _expected = [];

    public WorkloadKind Kind => WorkloadKind.Compute;

    private string Input => $"{options.Root}/in";

    public async Task PrepareAsync(TestBed bed)
    {
        _input = Text(options.InputBytes, options.Seed, (int)options.BlockSize);
        _expected = WordCountCheck.ExpectedParts(_input, options.Reducers);
        using var fs = FileSystem(bed);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await fs.MkdirsAsync(Input);
                var stream = await fs.CreateAsync($"{Input}/corpus.txt", new FsCreateOptions { BlockSize = options.BlockSize, Replication = options.Replication });
                await using (stream)
                {
                    await stream.WriteAsync(_input);
                }
                break;
            }
            catch (Exception e) when (Clients.IsFault(e) && clock.Elapsed < Bound)
            {
                // Before the faults the cluster may still be electing or counting its data nodes.
                await Task.Delay(500);
                await DeleteQuietlyAsync(fs, $"{Input}/corpus.txt");
            }
        }
        using var jobs = Jobs(bed);
        await SubmitAsync(jobs, CancellationToken.None);
    }

    public async Task RunAsync(TestBed bed, CancellationToken stop)
    {
        // Submitted and followed from a client host, which partitions cut like any client's; the
        // preparation and the check run from the root namespace.
        using var jobs = Jobs(bed, Clients.HostFor(bed.ClientHosts, 2));
        while (!stop.IsCancellationRequested)
        {
            Submission last;
            lock (_gate)
            {
                last = _submissions[^1];
            }
            if (last.Id is { } id)
            {
                try
                {
                    await jobs.WaitAsync(id, interval: TimeSpan.FromSeconds(5), cancellationToken: stop);
                    last.SeenFinished = Stopwatch.GetElapsedTime(last.SubmittedAt);
                }
                catch (Exception e) when (IsFault(e) && !stop.IsCancellationRequested)
                {
                    await Task.Delay(500, CancellationToken.None); // no leader or no node reached: ask again
                    continue;
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return; // the check waits for this job
                }
            }
            if (!stop.IsCancellationRequested)
            {
                await SubmitAsync(jobs, stop);
            }
        }
    }

    public async Task<WorkloadResult> CheckAsync(TestBed bed)
    {
        List<Submission> submissions;
        lock (_gate)
        {
            submissions = [.. _submissions];
        }
        using var jobs = Jobs(bed);
        using var fs = FileSystem(bed);
        var clock = Stopwatch.StartNew();
        var all = await ListAsync(jobs);
        var outcomes = new List<ComputeJobOutcome>();
        var details = new List<JobDetail>();
        foreach (var submission in submissions)
        {
            // A submission with no answer may still have made a job: the output names it.
            string? id = submission.Id ?? all.FirstOrDefault(j => j.Output == submission.Output)?.Id;
            if (id is null)
            {
                outcomes.Add(new ComputeJobOutcome(submission.Output, null, "never accepted", submission.Problem, new Dictionary<string, byte[]>()));
                continue;
            }
            var detail = await FinishedAsync(jobs, id, options.FinishBound - clock.Elapsed);
            if (detail is null)
            {
                outcomes.Add(new ComputeJobOutcome(submission.Output, id, "unanswered", $"no node answered for it within {options.FinishBound.TotalSeconds:0} s", new Dictionary<string, byte[]>()));
                continue;
            }
            details.Add(detail);
            var files = detail.Job.State == JobStates.Succeeded ? await OutputFilesAsync(fs, submission.Output) : new Dictionary<string, byte[]>();
            outcomes.Add(new ComputeJobOutcome(submission.Output, id, detail.Job.State, detail.Job.Error, files));
        }
        var (verdict, lost) = WordCountCheck.Check(outcomes, _expected, options.FailuresExcused);
        var notes = new List<string>
        {
            $"{submissions.Count} submissions: {string.Join(", ", outcomes.GroupBy(o => o.State).Select(g => $"{g.Count()} {g.Key}"))}; " +
                $"{submissions.Count(s => s.Id is null)} with no answer, of which {outcomes.Count(o => o.Id is not null && submissions.First(s => s.Output == o.Output).Id is null)} had made a job",
            $"attempts: {details.Sum(d => d.Job.FailedAttempts)} failed, {details.Sum(d => d.Tasks.SelectMany(t => t.Attempts).Count(a => a.State == "killed"))} killed, " +
                $"{details.Sum(d => d.Tasks.SelectMany(t => t.Attempts).Count())} in all over {details.Sum(d => d.Tasks.Count)} tasks",
            Durations(submissions),
        };
        long accepted = outcomes.Count(o => o.Id is not null);
        return new WorkloadResult(Kind, submissions.Count, accepted, lost, [verdict], notes);
    }

    private async Task SubmitAsync(JobClient jobs, CancellationToken stop)
    {
        Submission submission;
        lock (_gate)
        {
            submission = new Submission($"{options.Root}/out-{_submissions.Count + 1}", Stopwatch.GetTimestamp());
            _submissions.Add(submission);
        }
        try
        {
            submission.Id = await jobs.SubmitAsync(new JobRequest
            {
                Name = "wordcount", Inputs = [Input], Output = submission.Output, Reducers = options.Reducers,
                Settings = new() { [Colony.Client.MapReduce.JobSettings.BuiltIn] = "wordcount" },
            }, stop).WaitAsync(SubmitTimeout, stop);
        }
        catch (Exception e) when (IsFault(e))
        {
            // Unknown: the job may exist (a 409 says an earlier try of this very submission made it). The check looks.
            submission.Problem = e.Message;
            if (!stop.IsCancellationRequested)
            {
                await Task.Delay(500, CancellationToken.None); // before trying the cluster again
            }
        }
    }

    private static async Task<IReadOnlyList<JobSummary>> ListAsync(JobClient jobs)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await jobs.ListAsync().WaitAsync(TimeSpan.FromSeconds(30));
            }
            catch (Exception e) when (IsFault(e) && clock.Elapsed < Bound)
            {
                await Task.Delay(500); // the cluster may still be settling after the heal
            }
        }
    }

    /// <summary>The job once finished, or as last seen when <paramref name="within"/> runs out; null if no node ever answered.</summary>
    private static async Task<JobDetail?> FinishedAsync(JobClient jobs, string id, TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within > TimeSpan.Zero ? within : TimeSpan.FromSeconds(1));
        JobDetail? last = null;
        while (!timeout.IsCancellationRequested)
        {
            try
            {
                last = await jobs.GetNextAsync(id, TimeSpan.FromSeconds(5), timeout.Token);
                if (last.Job.IsFinished)
                {
                    return last;
                }
            }
            catch (Exception e) when (IsFault(e) && !timeout.IsCancellationRequested)
            {
                await Task.Delay(500, CancellationToken.None); // the cluster may still be settling after the heal
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        return last;
    }

    private static async Task<Dictionary<string, byte[]>> OutputFilesAsync(ColonyFileSystem fs, string output)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
                foreach (var entry in await fs.ListAsync(output))
                {
                    var stream = await fs.OpenReadAsync(entry.Path);
                    await using (stream)
                    {
                        using var copy = new MemoryStream();
                        await stream.CopyToAsync(copy);
                        files[Path.GetFileName(entry.Path)] = copy.ToArray();
                    }
                }
                return files;
            }
            catch (Exception e) when (Clients.IsFault(e) && clock.Elapsed < Bound)
            {
                await Task.Delay(500); // a replica's node may still be restarting
            }
        }
    }

    private static string Durations(List<Submission> submissions)
    {
        var seconds = submissions.Where(s => s.SeenFinished is not null).Select(s => s.SeenFinished!.Value.TotalSeconds).Order().ToArray();
        return seconds.Length == 0
            ? "no job was seen to finish while the faults went on"
            : string.Create(CultureInfo.InvariantCulture, $"{seconds.Length} jobs seen to finish under the faults, in {seconds[0]:0.0}–{seconds[^1]:0.0} s from submission (median {seconds[seconds.Length / 2]:0.0} s)");
    }

    private static bool IsFault(Exception e) => Clients.IsFault(e) || e is JobException;

    private static async Task DeleteQuietlyAsync(ColonyFileSystem fs, string path)
    {
        try
        {
            await fs.DeleteAsync(path, skipTrash: true);
        }
        catch (Exception e) when (Clients.IsFault(e))
        {
        }
    }

    private static ColonyFileSystem FileSystem(TestBed bed) =>
        new([.. bed.Nodes.Select(n => new Uri(bed.HttpAddress(n)))], Convert.FromBase64String(File.ReadAllText(bed.SecretFile).Trim()));

    /// <summary>A job client, its connections opened from <paramref name="host"/> (null: the root namespace, never cut).</summary>
    private static JobClient Jobs(TestBed bed, ClientHost? host = null) =>
        new([.. bed.Nodes.Select(n => new Uri(bed.HttpAddress(n)))], Convert.FromBase64String(File.ReadAllText(bed.SecretFile).Trim()),
            connectCallback: host is null ? null : host.ConnectAsync);

    private static readonly string[] Words =
    [
        "the", "of", "and", "colony", "raft", "block", "map", "reduce", "žluťoučký", "kůň", "日本語", "naïve", "façade",
        "MixedCase", "mixedcase", "a-b", "1234", "ends.", "ÅÄÖ",
    ];

    /// <summary>Text with empty lines, runs of spaces and tabs, CRLF endings, Unicode, and a line longer than a block.</summary>
    public static byte[] Text(int bytes, int seed, int blockSize)
    {
        var random = new Random(HashCode.Combine(seed, "compute"));
        var text = new StringBuilder(bytes + 1024);
        int line = 0;
        while (text.Length < bytes)
        {
            int words = (line % 97) switch
            {
                0 => 0,
                1 => blockSize / 4, // spans a block boundary
                _ => random.Next(1, 25),
            };
            for (int w = 0; w < words; w++)
            {
                // Zipf-ish: low indexes are far more likely; one word in four is one of a thousand rarer ones.
                if (random.Next(4) == 0)
                {
                    text.Append('w').Append(random.Next(1000));
                }
                else
                {
                    text.Append(Words[(int)Math.Min(Words.Length - 1, Math.Floor(Math.Pow(random.NextDouble(), 3) * Words.Length))]);
                }
                text.Append(random.Next(10) switch { 0 => "  ", 1 => "\t", _ => " " });
            }
            text.Append(line % 13 == 0 ? "\r\n" : "\n");
            line++;
        }
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>One submission: its output (its name), the job's id once the cluster answered, and what the client saw.</summary>
    private sealed class Submission(string output, long submittedAt)
    {
        public string Output { get; } = output;

        public long SubmittedAt { get; } = submittedAt;

        public string? Id { get; set; }

        public string? Problem { get; set; }

        public TimeSpan? SeenFinished { get; set; }
    }
}
