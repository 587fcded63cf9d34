using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace Colony.Client.Recipes;

/// <summary>
/// The znode names of the lock family, as kazoo writes them: a contender's node is
/// <c>{path}/{32 hex digits of a uuid}{kind}{10-digit sequence}</c>, with kind <c>__lock__</c>
/// (exclusive and write locks, elections) or <c>__rlock__</c> (read locks). Contenders are ordered by
/// the sequence suffix compared as text, which is what kazoo does, so both clients agree on the queue.
/// </summary>
internal static class LockNodes
{
    public const string Exclusive = "__lock__";
    public const string Shared = "__rlock__";

    private static readonly ConcurrentDictionary<string, Regex> Patterns = new(StringComparer.Ordinal);

    /// <summary>A fresh prefix for one contender: the uuid lets a contender find the node it created when the create's reply was lost.</summary>
    public static string NewPrefix(string kind) => Guid.NewGuid().ToString("N") + kind;

    /// <summary>The sequence suffix of a child whose kind is one of <paramref name="kinds"/>, or null when it is no such contender.</summary>
    public static string? Sequence(string child, IReadOnlyCollection<string> kinds)
    {
        Match match = Pattern(kinds).Match(child);
        return match.Success ? match.Groups[1].Value : null;
    }

    /// <summary>
    /// The child this contender must wait for: among the children of the kinds it yields to, the
    /// one with the greatest sequence below its own; null when none comes before it.
    /// </summary>
    public static string? Predecessor(IEnumerable<string> children, string ownSequence, IReadOnlyCollection<string> excludingKinds)
    {
        string? predecessor = null;
        string? best = null;
        foreach (string child in children)
        {
            if (Sequence(child, excludingKinds) is { } sequence
                && string.CompareOrdinal(sequence, ownSequence) < 0
                && (best is null || string.CompareOrdinal(sequence, best) > 0))
            {
                best = sequence;
                predecessor = child;
            }
        }
        return predecessor;
    }

    /// <summary>How many children of the given kinds come before <paramref name="ownSequence"/> in the queue.</summary>
    public static int CountBefore(IEnumerable<string> children, string ownSequence, IReadOnlyCollection<string> kinds) =>
        children.Count(child => Sequence(child, kinds) is { } sequence && string.CompareOrdinal(sequence, ownSequence) < 0);

    /// <summary>Every contender of the given kinds, in queue order.</summary>
    public static IReadOnlyList<string> Ordered(IEnumerable<string> children, IReadOnlyCollection<string> kinds) =>
        [.. children
            .Select(child => (Child: child, Sequence: Sequence(child, kinds)))
            .Where(c => c.Sequence is not null)
            .OrderBy(c => c.Sequence, StringComparer.Ordinal)
            .Select(c => c.Child)];

    private static Regex Pattern(IReadOnlyCollection<string> kinds) =>
        Patterns.GetOrAdd(string.Join('|', kinds.Select(Regex.Escape)),
            static alternatives => new Regex($"(?:{alternatives})(-?\\d{{10}})$", RegexOptions.CultureInvariant));
}
