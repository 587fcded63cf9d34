using System.Text;
using Colony.Consensus;

namespace Colony.Simulation.Tests.Checkers;

/// <summary>Hand-made log entries for feeding checkers directly.</summary>
internal static class Entries
{
    public static Entry Of(ulong term, ulong index, string payload = "") =>
        new(term, index, EntryType.Normal, Encoding.UTF8.GetBytes(payload.Length == 0 ? $"{term}/{index}" : payload));

    /// <summary>A contiguous log: one entry per term in <paramref name="terms"/>, starting at <paramref name="first"/>.</summary>
    public static Entry[] Log(ulong first, params ulong[] terms) =>
        terms.Select((term, i) => Of(term, first + (ulong)i)).ToArray();
}
