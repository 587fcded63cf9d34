using System.Threading.Channels;

namespace Colony.Node.Tests.Peers;

/// <summary>Waiting on conditions, never on the clock: every wait ends at the event it waits for, or fails after a generous timeout.</summary>
internal static class Wait
{
    /// <summary>Long enough for a loaded two-core machine; a passing test takes milliseconds.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    public static async Task<T> ReadAsync<T>(ChannelReader<T> reader, TimeSpan? timeout = null)
    {
        using var cancellation = new CancellationTokenSource(timeout ?? Timeout);
        try
        {
            return await reader.ReadAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("nothing arrived in time");
        }
    }

    public static async Task<T> ForAsync<T>(Task<T> task, TimeSpan? timeout = null) => await task.WaitAsync(timeout ?? Timeout);

    public static async Task ForAsync(Task task, TimeSpan? timeout = null) => await task.WaitAsync(timeout ?? Timeout);

    /// <summary>Checks <paramref name="condition"/> every few milliseconds until it holds; fails after the timeout.</summary>
    public static async Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Timeout);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{what} did not happen in time");
            }
            await Task.Delay(5);
        }
    }
}
