namespace Colony.Node.Tests.Peers;

/// <summary>
/// The names the system knows this process's threads by (Linux, <c>/proc/self/task/*/comm</c>): what
/// per-thread tools such as the cluster benchmark script see.
/// </summary>
internal static class OsThreads
{
    public static IReadOnlyList<string> Names()
    {
        var names = new List<string>();
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                names.Add(File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n'));
            }
            catch (IOException)
            {
                // The thread ended while we looked.
            }
        }
        return names;
    }

    public static int Count(string name) => Names().Count(n => n == name);

    /// <summary>How many times the one thread named <paramref name="name"/> has gone to sleep (voluntary context switches).</summary>
    public static long Sleeps(string name)
    {
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            if (File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n') == name)
            {
                string line = File.ReadLines(Path.Combine(task, "status")).Single(l => l.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal));
                return long.Parse(line.AsSpan(line.IndexOf(':') + 1).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        throw new InvalidOperationException($"no thread named {name}");
    }

    /// <summary>Whether the one thread named <paramref name="name"/> is asleep in the kernel (waiting, not running).</summary>
    public static bool IsAsleep(string name)
    {
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n') == name)
                {
                    // The state follows the parenthesised name: "tid (comm) S ...".
                    string stat = File.ReadAllText(Path.Combine(task, "stat"));
                    return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('S');
                }
            }
            catch (IOException)
            {
            }
        }
        return false;
    }

    /// <summary>Waits until no thread has one of <paramref name="names"/>; fails after <see cref="Wait.Timeout"/>.</summary>
    public static async Task WaitUntilGoneAsync(params string[] names)
    {
        using var timeout = new CancellationTokenSource(Wait.Timeout);
        while (Names().Intersect(names).Any())
        {
            // An ended thread leaves the table once the system has reaped it: poll briefly.
            await Task.Delay(10, timeout.Token);
        }
    }
}
