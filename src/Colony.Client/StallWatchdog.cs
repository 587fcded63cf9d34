using System.Diagnostics;

namespace Colony.Client;

/// <summary>
/// Looks at every receive loop twenty times a second for a handler that has kept its thread too long.
/// It runs on a thread of its own that sleeps between looks: a pool timer would wake a pool worker
/// twenty times a second, and a woken worker spins for a while before it sleeps again, which cost a
/// busy client a few percent of a core for nothing.
/// </summary>
internal static class StallWatchdog
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(50);
    private static readonly object Gate = new();
    private static readonly List<ReceiveLoop> Loops = [];
    private static bool running;

    public static void Watch(ReceiveLoop loop)
    {
        lock (Gate)
        {
            Loops.Add(loop);
            if (!running)
            {
                running = true;
                new Thread(Run) { IsBackground = true, Name = "zk-watchdog" }.Start();
            }
        }
    }

    public static void Forget(ReceiveLoop loop)
    {
        lock (Gate)
        {
            Loops.Remove(loop);
            if (Loops.Count == 0)
            {
                Monitor.PulseAll(Gate); // the thread ends at once instead of at its next look
            }
        }
    }

    private static void Run()
    {
        while (true)
        {
            ReceiveLoop[] loops;
            lock (Gate)
            {
                if (Loops.Count > 0)
                {
                    Monitor.Wait(Gate, Period);
                }
                if (Loops.Count == 0)
                {
                    running = false;
                    return;
                }
                loops = [.. Loops];
            }
            long now = Stopwatch.GetTimestamp();
            foreach (ReceiveLoop loop in loops)
            {
                loop.TakeOverIfStalled(now);
            }
        }
    }
}
