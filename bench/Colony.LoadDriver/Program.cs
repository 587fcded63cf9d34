using System.Diagnostics;
using System.Globalization;
using Colony.LoadDriver;

// Drives a live Colony cluster with key-value writes and reports committed proposals per second.
// Every proposer sends PUT /kv/{key} back to back over its own keep-alive connection (or, with
// --protocol stream, one frame at a time over its own write-stream connection); a 204 (or a Committed
// reply) means the write was committed and applied on the leader: one committed proposal.

DriverOptions options;
try
{
    options = DriverOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"colony-load: {e.Message}");
    Console.Error.WriteLine(DriverOptions.Usage);
    return 2;
}
if (options.Help)
{
    Console.WriteLine(DriverOptions.Usage);
    return 0;
}

if (options.Protocol == "stream")
{
    // A stream proposer's work per write is a few bytes in and out: run its continuations on the socket
    // engine's thread instead of handing each one to the thread pool (read once, at the first socket
    // operation). HTTP proposers have far more work per write and are better off spread over the pool.
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

using var client = LoadClient.Create(options);
var leader = await LeaderDirectory.DiscoverAsync(client, options.Cluster, TimeSpan.FromSeconds(30), cancel.Token).ConfigureAwait(false);
if (leader is null)
{
    Console.Error.WriteLine("colony-load: no node knows a leader:  " + string.Join(", ", options.Cluster));
    return 1;
}
var directory = new LeaderDirectory(client, options.Cluster, leader);

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"starting at {leader} (the leader, or a node that will redirect to it); {options.Proposers} proposers, {options.ValueBytes}-byte values, {options.WarmupSeconds} s warm-up, {options.Seconds} s measured"));

var run = new LoadRun(client, directory, options);
var result = await run.ExecuteAsync(cancel.Token).ConfigureAwait(false);
result.Print(Console.Out);
return result.Commits > 0 ? 0 : 1;

namespace Colony.LoadDriver
{
    /// <summary>Per-process CPU time, to tell how much of the machine the driver itself took.</summary>
    internal static class ProcessCpu
    {
        public static TimeSpan Now()
        {
            using var self = Process.GetCurrentProcess();
            return self.TotalProcessorTime;
        }
    }
}
