using System.Text;
using System.Threading.Channels;
using Colony.Coordination;

namespace Colony.Client.Tests;

internal static class TestSupport
{
    /// <summary>How long a test waits for anything before failing: generous, since waits end on events, not on time.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public static Task<T> Within<T>(this Task<T> task) => task.WaitAsync(Patience);

    public static Task Within(this Task task) => task.WaitAsync(Patience);

    public static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    public static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);

    /// <summary>A root path of its own for one test, so tests never see each other's nodes.</summary>
    public static string UniqueRoot(string name) => $"/{name}-{Guid.NewGuid():N}";

    public static Task<ZooKeeperClient> ConnectAsync(string connectString, ZooKeeperClientOptions? options = null) =>
        ZooKeeperClient.ConnectAsync(connectString, options ?? new ZooKeeperClientOptions { SessionTimeout = TimeSpan.FromSeconds(20) });

    public static Task<string> CreateAsync(this ZooKeeperClient client, string path, string data = "", CreateMode mode = CreateMode.Persistent) =>
        client.CreateAsync(path, Bytes(data), Acl.OpenUnsafe, mode);
}

/// <summary>A watcher that records what it hears, so a test can await the next event.</summary>
internal sealed class EventLog
{
    private readonly Channel<WatchedEvent> pending = Channel.CreateUnbounded<WatchedEvent>();
    private readonly List<WatchedEvent> all = [];

    public EventLog(bool nodeEventsOnly = true)
    {
        Watcher = e =>
        {
            if (nodeEventsOnly && e.Type == EventType.None)
            {
                return;
            }
            lock (all)
            {
                all.Add(e);
            }
            pending.Writer.TryWrite(e);
        };
    }

    public Watcher Watcher { get; }

    public IReadOnlyList<WatchedEvent> All
    {
        get
        {
            lock (all)
            {
                return [.. all];
            }
        }
    }

    public async Task<WatchedEvent> NextAsync()
    {
        try
        {
            return await pending.Reader.ReadAsync().AsTask().Within();
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"No event within {TestSupport.Patience.TotalSeconds} s; heard so far: [{string.Join("; ", All)}]");
        }
    }

    /// <summary>Waits for the first event of <paramref name="state"/> (session events need nodeEventsOnly: false).</summary>
    public async Task<WatchedEvent> NextAsync(KeeperState state)
    {
        while (true)
        {
            WatchedEvent next = await NextAsync();
            if (next.Type == EventType.None && next.State == state)
            {
                return next;
            }
        }
    }
}
