namespace Colony.Consensus;

/// <summary>Majority arithmetic, kept apart so it can be checked against a naive reference.</summary>
internal static class Quorum
{
    /// <summary>
    /// The largest index that a majority of <paramref name="matches"/> (one per voter) has reached.
    /// Sorts in place.
    /// </summary>
    public static ulong CommittedIndex(Span<ulong> matches)
    {
        if (matches.IsEmpty)
        {
            return 0;
        }
        matches.Sort();
        // Ascending order: the quorum-th largest value sits at n - quorum.
        int quorum = matches.Length / 2 + 1;
        return matches[matches.Length - quorum];
    }
}
