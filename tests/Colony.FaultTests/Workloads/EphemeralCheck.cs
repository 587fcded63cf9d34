using Colony.FaultTests.Campaigns;

namespace Colony.FaultTests.Workloads;

/// <summary>An acknowledged create of an ephemeral znode.</summary>
public readonly record struct EphemeralCreate(long Session, string Path, long CallTime, long ReturnTime);

/// <summary>A linearizable listing (sync, then getChildren) of the ephemerals' parent.</summary>
public sealed record EphemeralListing(long CallTime, long ReturnTime, IReadOnlySet<string> Paths);

/// <summary>
/// An ephemeral lives exactly as long as its session: it is deleted when, and only when, the
/// session ends, and never comes back. Judged from linearizable listings taken while the sessions
/// came and went, and from the owners' own reads:
/// <list type="bullet">
/// <item>once a listing called after the create was answered lacks the node, its session has
/// ended, and no later listing may show it again;</item>
/// <item>an owner whose session still answers never finds its own node gone (a session's end and
/// the deletion of its ephemerals are one change).</item>
/// </list>
/// </summary>
public static class EphemeralCheck
{
    public static CheckerVerdict Check(IReadOnlyList<EphemeralCreate> creates, IReadOnlyList<EphemeralListing> listings, IReadOnlyList<string> vanishedUnderLiveSession)
    {
        var problems = new List<string>(vanishedUnderLiveSession.Select(v => $"{v} was gone while its session still answered its owner"));
        var ordered = listings.OrderBy(l => l.CallTime).ToArray();
        int reappeared = 0;
        foreach (var create in creates)
        {
            long? goneBy = null;
            foreach (var listing in ordered.Where(l => l.CallTime > create.ReturnTime))
            {
                bool present = listing.Paths.Contains(create.Path);
                if (!present && goneBy is null)
                {
                    goneBy = listing.ReturnTime;
                }
                else if (present && goneBy is { } gone && listing.CallTime > gone)
                {
                    reappeared++;
                    problems.Add($"{create.Path} was gone from a listing answered at {gone}, then listed again at {listing.CallTime}");
                    break;
                }
            }
        }
        return new CheckerVerdict("ephemerals: present only while their session lives", problems.Count == 0,
            problems.Count == 0
                ? $"{creates.Count} acknowledged ephemerals over {listings.Count} linearizable listings: none came back after its session ended, none left a live session"
                : string.Join("; ", problems.Take(5)));
    }
}
