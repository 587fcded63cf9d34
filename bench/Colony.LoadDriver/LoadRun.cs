using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Colony.LoadDriver;

/// <summary>
/// One measurement: the proposers write through a warm-up and then a measured window. A write
/// counts when its 204 arrives inside the window; its latency runs from the first attempt
/// (redirects included) to that 204.
/// </summary>
internal sealed class LoadRun(HttpClient client, LeaderDirectory directory, DriverOptions options)
{
    private readonly byte[] _value = CreateValue(options.ValueBytes);

    public async Task<RunResult> ExecuteAsync(CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        long measureFrom = start + ToTicks(options.WarmupSeconds);
        long measureUntil = measureFrom + ToTicks(options.Seconds);
        var window = new Window(measureFrom, measureUntil);

        var proposers = new Proposer[options.Proposers];
        var tasks = new Task[proposers.Length];
        for (int i = 0; i < proposers.Length; i++)
        {
            proposers[i] = new Proposer($"{options.KeyPrefix}-{i}-");
            var proposer = proposers[i];
            tasks[i] = Task.Run(() => ProposeAsync(proposer, window, cancellationToken), cancellationToken);
        }

        // Beside the proposers' own count: the leader's commit index and the driver's CPU over the window.
        await SleepUntilAsync(measureFrom, cancellationToken).ConfigureAwait(false);
        var before = await LeaderDirectory.StatusAsync(client, directory.Leader, cancellationToken).ConfigureAwait(false);
        var cpuBefore = ProcessCpu.Now();
        long gcBefore = GC.CollectionCount(0);
        await SleepUntilAsync(measureUntil, cancellationToken).ConfigureAwait(false);
        var cpuAfter = ProcessCpu.Now();
        long gcAfter = GC.CollectionCount(0);
        var after = await LeaderDirectory.StatusAsync(client, directory.Leader, cancellationToken).ConfigureAwait(false);

        await Task.WhenAll(tasks).ConfigureAwait(false);

        var latencies = new List<long>(proposers.Sum(p => p.Latencies.Count));
        foreach (var proposer in proposers)
        {
            latencies.AddRange(proposer.Latencies);
        }
        latencies.Sort();
        var errors = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var proposer in proposers)
        {
            foreach (var (kind, count) in proposer.Errors)
            {
                errors[kind] = errors.GetValueOrDefault(kind) + count;
            }
        }
        ulong? commitDelta = before is not null && after is not null && after.Term == before.Term ? after.Commit - before.Commit : null;
        return new RunResult(
            options,
            latencies,
            errors,
            proposers.Sum(p => p.Redirects),
            proposers.Sum(p => p.TotalCommits),
            commitDelta,
            (cpuAfter - cpuBefore).TotalSeconds / options.Seconds,
            gcAfter - gcBefore);
    }

    private async Task ProposeAsync(Proposer proposer, Window window, CancellationToken cancellationToken)
    {
        long sequence = 0;
        while (!cancellationToken.IsCancellationRequested && Stopwatch.GetTimestamp() < window.Until)
        {
            string key = proposer.KeyPrefix + sequence.ToString(CultureInfo.InvariantCulture);
            sequence++;
            long began = Stopwatch.GetTimestamp();
            string? error = options.Protocol == "stream"
                ? await PutOnceOverStreamAsync(proposer, key, cancellationToken).ConfigureAwait(false)
                : await PutOnceFollowingLeaderAsync(proposer, key, cancellationToken).ConfigureAwait(false);
            long ended = Stopwatch.GetTimestamp();
            bool inWindow = ended >= window.From && ended < window.Until;
            if (error is null)
            {
                proposer.TotalCommits++;
                if (inWindow)
                {
                    proposer.Latencies.Add(ended - began);
                }
            }
            else
            {
                if (inWindow)
                {
                    proposer.Errors[error] = proposer.Errors.GetValueOrDefault(error) + 1;
                }
                // Do not spin on a failing cluster.
                await Task.Delay(10, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Writes one key; returns null once committed, or what went wrong.</summary>
    private async Task<string?> PutOnceFollowingLeaderAsync(Proposer proposer, string key, CancellationToken cancellationToken)
    {
        const int MaxRedirects = 5;
        for (int attempt = 0; ; attempt++)
        {
            var node = directory.Leader;
            using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(node, "/kv/" + Uri.EscapeDataString(key)))
            {
                Content = new ByteArrayContent(_value),
            };
            try
            {
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
                switch (response.StatusCode)
                {
                    case HttpStatusCode.NoContent:
                        return null;
                    case HttpStatusCode.MisdirectedRequest when attempt < MaxRedirects:
                        proposer.Redirects++;
                        string body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                        await directory.FollowAsync(node, LeaderDirectory.ParseLeader(body), cancellationToken).ConfigureAwait(false);
                        continue;
                    default:
                        return "HTTP " + ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
                }
            }
            catch (HttpRequestException e)
            {
                return "connection: " + (e.HttpRequestError.ToString());
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return "client timeout";
            }
        }
    }

    /// <summary>Writes one key over the proposer's write stream, reconnecting to the leader as needed.</summary>
    private async Task<string?> PutOnceOverStreamAsync(Proposer proposer, string key, CancellationToken cancellationToken)
    {
        const int MaxRedirects = 5;
        for (int attempt = 0; ; attempt++)
        {
            var node = directory.Leader;
            try
            {
                if (proposer.Stream is null || proposer.Stream.Node != node)
                {
                    proposer.Stream?.Dispose();
                    proposer.Stream = null;
                    proposer.Stream = await ProposeStreamClient.ConnectAsync(node, options.Token, cancellationToken).ConfigureAwait(false);
                }
                var (reply, detail) = await proposer.Stream.PutAsync(key, _value, cancellationToken).ConfigureAwait(false);
                switch (reply)
                {
                    case ProposeStreamClient.Committed:
                        return null;
                    case ProposeStreamClient.NotLeader when attempt < MaxRedirects:
                        proposer.Redirects++;
                        await directory.FollowAsync(node, detail.Length == 0 ? null : detail, cancellationToken).ConfigureAwait(false);
                        continue;
                    default:
                        return "stream reply " + reply.ToString(CultureInfo.InvariantCulture);
                }
            }
            catch (Exception e) when (e is IOException or SocketException && !cancellationToken.IsCancellationRequested)
            {
                proposer.Stream?.Dispose();
                proposer.Stream = null;
                return "connection: " + e.GetType().Name;
            }
        }
    }

    private static async Task SleepUntilAsync(long timestamp, CancellationToken cancellationToken)
    {
        var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), timestamp);
        if (remaining > TimeSpan.Zero)
        {
            await Task.Delay(remaining, cancellationToken).ConfigureAwait(false);
        }
    }

    private static long ToTicks(double seconds) => (long)(seconds * Stopwatch.Frequency);

    private static byte[] CreateValue(int bytes)
    {
        var value = new byte[bytes];
        for (int i = 0; i < value.Length; i++)
        {
            value[i] = (byte)('a' + (i % 26));
        }
        return value;
    }

    private sealed record Window(long From, long Until);

    /// <summary>One proposer's keys and tallies; touched only by its own task.</summary>
    private sealed class Proposer(string keyPrefix)
    {
        public string KeyPrefix { get; } = keyPrefix;

        public List<long> Latencies { get; } = new(capacity: 4096);

        public Dictionary<string, long> Errors { get; } = new(StringComparer.Ordinal);

        public long Redirects { get; set; }

        public long TotalCommits { get; set; }

        public ProposeStreamClient? Stream { get; set; }
    }
}
