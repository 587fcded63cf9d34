namespace Colony.FaultTests.Bed;

/// <summary>
/// Whether this machine can build a bed: root, Linux network namespaces, iproute2 and nftables. When
/// it cannot, every fault test fails with this message; it never passes or skips silently.
/// </summary>
internal static class BedSupport
{
    public const string HowToEnable =
        "The fault tests build a network of Linux network namespaces and need root: run them as root " +
        "(e.g. `sudo dotnet test tests/Colony.FaultTests`) on Linux with iproute2 and nftables installed " +
        "(`apt-get install iproute2 nftables iptables`). In a container, give it CAP_NET_ADMIN and CAP_SYS_ADMIN " +
        "(e.g. `docker run --privileged`).";

    private static readonly Lazy<string?> Problem = new(Probe);

    /// <summary>Throws with <see cref="HowToEnable"/> and the reason if a bed cannot be built here.</summary>
    public static void Require()
    {
        if (Problem.Value is { } problem)
        {
            throw new InvalidOperationException($"FAULT TESTS CANNOT RUN: {problem}. {HowToEnable}");
        }
    }

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "network namespaces exist only on Linux";
        }
        if (!Signals.IsRoot)
        {
            return "not running as root";
        }
        foreach (var tool in new[] { "ip", "nft" })
        {
            if (Shell.TryRun(tool, "-V").Exit != 0 && Shell.TryRun(tool, "--version").Exit != 0)
            {
                return $"`{tool}` is not installed";
            }
        }
        string probe = $"cx-{Environment.ProcessId}-probe";
        var (exit, _, error) = Shell.TryRun("ip", "netns", "add", probe);
        if (exit != 0)
        {
            return $"`ip netns add` failed: {error.Trim()}";
        }
        Shell.TryRun("ip", "netns", "del", probe);
        return null;
    }

    /// <summary>Whether `tc netem` works here (it needs the kernel's sch_netem module).</summary>
    public static bool NetemAvailable(string ns)
    {
        var (exit, _, _) = Shell.TryRun("ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms");
        if (exit == 0)
        {
            Shell.TryRun("ip", "netns", "exec", ns, "tc", "qdisc", "del", "dev", "lo", "root");
        }
        return exit == 0;
    }
}
