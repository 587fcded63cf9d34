using System.Net;
using System.Net.Sockets;

namespace Colony.Testing;

/// <summary>
/// Loopback ports for the servers that tests start, reserved across every test process on the
/// machine. Each port handed out is locked through a file in the temporary directory until it is
/// released or the process exits (the kernel drops the lock then), so two test runs at once (two
/// clones of the repository, say) never pick the same port between the probe and the bind. Ports come
/// from below the kernel's ephemeral range, so no outgoing connection can take one either.
/// </summary>
public static class TestPorts
{
    /// <summary>The lowest port handed out by default.</summary>
    public const int First = 10_000;

    /// <summary>The highest port handed out by default: below the ephemeral range (32768 up).</summary>
    public const int Last = 31_999;

    private static readonly string LockDirectory = Path.Combine(Path.GetTempPath(), "colony-test-ports");
    private static readonly Dictionary<int, FileStream> Held = [];
    private static readonly Lock Gate = new();

    /// <summary>One free port.</summary>
    public static int One(int first = First, int last = Last) => Many(1, first, last)[0];

    /// <summary><paramref name="count"/> free ports, not necessarily adjacent.</summary>
    public static int[] Many(int count, int first = First, int last = Last)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var ports = new List<int>(count);
        try
        {
            for (var i = 0; i < count; i++)
            {
                ports.Add(Layout(p => [p], alignment: 1, first, last));
            }
        }
        catch
        {
            Release(ports);
            throw;
        }

        return [.. ports];
    }

    /// <summary>
    /// A base port, a multiple of <paramref name="alignment"/>, such that every port
    /// <paramref name="layout"/> derives from it is free and now reserved.
    /// </summary>
    public static int Layout(Func<int, IEnumerable<int>> layout, int alignment = 10, int first = First, int last = Last)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(alignment, 1);
        var slots = (last - first + 1) / alignment;
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        // Every slot once, from a random one on: concurrent test processes rarely probe the same ports,
        // and a free layout is found whenever one exists.
        var offset = Random.Shared.Next(slots);
        for (var i = 0; i < slots; i++)
        {
            var basePort = first + (((offset + i) % slots) * alignment);
            var ports = layout(basePort).Distinct().ToList();
            if (ports.Any(p => p < first || p > last) || !TryReserve(ports))
            {
                continue;
            }

            if (ports.All(IsFree))
            {
                return basePort;
            }

            // Something outside the test runs holds one of them: give them back and look elsewhere.
            Release(ports);
        }

        throw new InvalidOperationException($"no free port layout between {first} and {last}");
    }

    /// <summary>Gives ports back, so that this or another test process may hand them out again.</summary>
    public static void Release(IEnumerable<int> ports)
    {
        lock (Gate)
        {
            foreach (var port in ports)
            {
                if (Held.Remove(port, out var stream))
                {
                    stream.Dispose();
                }
            }
        }
    }

    private static bool TryReserve(IReadOnlyList<int> ports)
    {
        lock (Gate)
        {
            Directory.CreateDirectory(LockDirectory);
            var taken = new List<int>(ports.Count);
            foreach (var port in ports)
            {
                if (Held.ContainsKey(port) || TryLock(port) is not { } stream)
                {
                    foreach (var undo in taken)
                    {
                        Held.Remove(undo, out var held);
                        held!.Dispose();
                    }

                    return false;
                }

                Held[port] = stream;
                taken.Add(port);
            }

            return true;
        }
    }

    // FileShare.None is an exclusive flock on Unix: another process (or another open here) is refused.
    private static FileStream? TryLock(int port)
    {
        try
        {
            return new FileStream(Path.Combine(LockDirectory, port.ToString(System.Globalization.CultureInfo.InvariantCulture)), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
