// Acquire+release cycles per second of one DistributedLock, and the acquire latency's p50 and p99.
//
//     dotnet LockBench.dll HOSTS CLIENTS SECONDS
//
// Each client is its own session, looping acquire, release on the same lock for SECONDS. With one
// client the lock is uncontended; with several, each acquire includes the wait for the others, so
// cycles/s measures the hand-over rate. Prints one line: clients=… cycles=… cycles_per_s=… p50_ms=…
// p99_ms=… (acquire latency) release_p50_ms=…
using System.Diagnostics;
using System.Globalization;
using Colony.Client;
using Colony.Client.Recipes;

if (args.Length != 3)
{
    Console.Error.WriteLine("usage: LockBench HOSTS CLIENTS SECONDS");
    return 2;
}
string hosts = args[0];
int clients = int.Parse(args[1], CultureInfo.InvariantCulture);
var duration = TimeSpan.FromSeconds(double.Parse(args[2], CultureInfo.InvariantCulture));
string path = $"/bench/locks/{Guid.NewGuid():N}";
var warmUpFor = TimeSpan.FromSeconds(2);

var sessions = await Task.WhenAll(Enumerable.Range(0, clients).Select(_ =>
    ZooKeeperClient.ConnectAsync(hosts, new ZooKeeperClientOptions { ConnectTimeout = TimeSpan.FromSeconds(30) })));
try
{
    // Warm up for a while (not counted): creates the path, and lets the JIT finish compiling the
    // hot paths, so the measurement is of the protocol and the servers, not of tier-0 code.
    var warmUp = Stopwatch.StartNew();
    await Task.WhenAll(sessions.Select(session => Task.Run(async () =>
    {
        var mutex = new DistributedLock(session, path);
        while (warmUp.Elapsed < warmUpFor)
        {
            await using LockHandle held = await mutex.AcquireAsync();
        }
    })));

    var releases = new List<double>();
    var clock = Stopwatch.StartNew();
    var latencies = await Task.WhenAll(sessions.Select(session => Task.Run(async () =>
    {
        var mutex = new DistributedLock(session, path);
        var mine = new List<double>();
        while (clock.Elapsed < duration)
        {
            long start = Stopwatch.GetTimestamp();
            LockHandle held = await mutex.AcquireAsync();
            mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            long releasing = Stopwatch.GetTimestamp();
            await held.ReleaseAsync();
            lock (releases)
            {
                releases.Add(Stopwatch.GetElapsedTime(releasing).TotalMilliseconds);
            }
        }
        return mine;
    })));
    double seconds = clock.Elapsed.TotalSeconds;

    var all = latencies.SelectMany(l => l).Order().ToArray();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"clients={clients} cycles={all.Length} seconds={seconds:0.0} cycles_per_s={all.Length / seconds:0} p50_ms={Percentile(all, 0.50):0.00} p99_ms={Percentile(all, 0.99):0.00} release_p50_ms={Percentile([.. releases.Order()], 0.50):0.00}"));
    return 0;
}
finally
{
    foreach (var session in sessions)
    {
        await session.DisposeAsync();
    }
}

static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
