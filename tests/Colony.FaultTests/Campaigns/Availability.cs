using System.Diagnostics;
using Colony.FaultTests.Workloads;
using Colony.Testing.Linearizability;

namespace Colony.FaultTests.Campaigns;

/// <summary>How long clients went without an answer: the unavailability they saw. Pure.</summary>
public static class Availability
{
    /// <summary>The longest interval between consecutive answers to any client, in milliseconds.</summary>
    public static double LongestGap(IReadOnlyList<Operation<RegisterInput, RegisterOutput>> history) =>
        Ticks(Longest(history.Where(o => !o.IsPending).Select(o => o.ReturnTime), from: null, to: null));

    /// <summary>
    /// Per client host, the longest time its clients got no answer, in milliseconds: between two of its
    /// answers, or from the first call of the run to its first answer, or from its last answer to the
    /// run's last. A host cut off with a minority waits out the fault; one beside the majority does not.
    /// </summary>
    public static IReadOnlyDictionary<int, double> LongestGapPerHost(
        IReadOnlyList<Operation<RegisterInput, RegisterOutput>> history, IReadOnlyDictionary<int, int> hostOfProcess)
    {
        var answered = history.Where(o => !o.IsPending).ToList();
        if (answered.Count == 0)
        {
            return new Dictionary<int, double>();
        }
        long from = history.Min(o => o.CallTime);
        long to = answered.Max(o => o.ReturnTime);
        return hostOfProcess.Values.Distinct().Order().ToDictionary(host => host, host => Ticks(Longest(
            answered.Where(o => hostOfProcess.TryGetValue(o.ClientId, out int h) && h == host).Select(o => o.ReturnTime), from, to)));
    }

    private static long Longest(IEnumerable<long> returns, long? from, long? to)
    {
        var times = returns.Order().ToList();
        if (from is { } start)
        {
            times.Insert(0, start);
        }
        if (to is { } end)
        {
            times.Add(end);
        }
        long longest = 0;
        for (int i = 1; i < times.Count; i++)
        {
            longest = Math.Max(longest, times[i] - times[i - 1]);
        }
        return longest;
    }

    private static double Ticks(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}
