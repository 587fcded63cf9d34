using System.Diagnostics;

namespace Colony.Client;

/// <summary>Looks at every receive loop twenty times a second for a handler that has kept its thread too long.</summary>
internal static class StallWatchdog
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(50);
    private static readonly object Gate = new();
    private static readonly List<ReceiveLoop> Loops = [];
    private static Timer? timer;

    public static void Watch(ReceiveLoop loop)
    {
        lock (Gate)
        {
            Loops.Add(loop);
            timer ??= new Timer(static _ => Tick(), null, Period, Period);
        }
    }

    public static void Forget(ReceiveLoop loop)
    {
        lock (Gate)
        {
            Loops.Remove(loop);
            if (Loops.Count == 0)
            {
                timer?.Dispose();
                timer = null;
            }
        }
    }

    private static void Tick()
    {
        ReceiveLoop[] loops;
        lock (Gate)
        {
            loops = [.. Loops];
        }
        long now = Stopwatch.GetTimestamp();
        foreach (ReceiveLoop loop in loops)
        {
            loop.TakeOverIfStalled(now);
        }
    }
}
