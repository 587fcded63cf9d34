using System.Globalization;
using Colony.FaultTests.Campaigns;

namespace Colony.FaultTests.Workloads;

/// <summary>One granted hold of the lock: who asked, the token, when the acquire was called and answered, and when the holder let go.</summary>
public readonly record struct LockHold(int Hold, long Session, long Token, long CallTime, long ReturnTime, long ReleaseTime, bool LostWhileHeld)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"hold #{Hold} (session 0x{Session:x}) token {Token} acquired {CallTime}..{ReturnTime}");
}

/// <summary>
/// The lock recipe's promises, judged from the holds and the fenced resource's log:
/// <list type="bullet">
/// <item>one holder per fencing token;</item>
/// <item>tokens strictly increase across holders: a hold acquired after another was granted has the
/// greater token (holds acquired concurrently may go either way);</item>
/// <item>the resource never accepted a stale holder's write: once a token has been accepted, no
/// write with a smaller one was.</item>
/// </list>
/// Two holders at once in real time are possible in ZooKeeper's lock (a holder learns late that its
/// session ended); the fence is what makes that harmless, so overlaps are counted, not judged.
/// </summary>
public static class LockCheck
{
    public static IReadOnlyList<CheckerVerdict> Check(IReadOnlyList<LockHold> holds, IReadOnlyList<FencedWrite> writes)
    {
        var verdicts = new List<CheckerVerdict>();

        var shared = holds.GroupBy(h => h.Token).Where(g => g.Count() > 1).ToList();
        verdicts.Add(new CheckerVerdict("locks: one holder per fencing token", shared.Count == 0,
            shared.Count == 0 ? $"{holds.Count} holds, {holds.Select(h => h.Token).Distinct().Count()} tokens"
                : string.Join("; ", shared.Take(5).Select(g => $"token {g.Key} granted to {string.Join(" and ", g)}"))));

        string? backwards = null;
        var byReturn = holds.OrderBy(h => h.ReturnTime).ToArray();
        int answered = 0;
        LockHold? highest = null;
        foreach (var hold in holds.OrderBy(h => h.CallTime))
        {
            while (answered < byReturn.Length && byReturn[answered].ReturnTime < hold.CallTime)
            {
                if (highest is null || byReturn[answered].Token > highest.Value.Token)
                {
                    highest = byReturn[answered];
                }
                answered++;
            }
            if (highest is { } earlier && earlier.Token >= hold.Token)
            {
                backwards = $"{hold} was asked for after {earlier} was granted, with a token no greater";
                break;
            }
        }
        verdicts.Add(new CheckerVerdict("locks: fencing tokens increase across holders", backwards is null,
            backwards ?? $"{holds.Count} holds in real-time order"));

        var stale = StaleWrites(writes);
        int rejected = writes.Count(w => !w.Accepted);
        verdicts.Add(new CheckerVerdict("locks: the fenced resource never accepted a stale holder's write", stale.Count == 0,
            stale.Count == 0 ? $"{writes.Count - rejected} writes accepted, {rejected} from stale holders turned away" : string.Join("; ", stale.Take(5))));
        return verdicts;
    }

    /// <summary>Accepted writes of stale holders: what fencing exists to prevent.</summary>
    public static int StaleAccepted(IReadOnlyList<FencedWrite> writes) => StaleWrites(writes).Count;

    private static List<string> StaleWrites(IReadOnlyList<FencedWrite> writes)
    {
        var stale = new List<string>();
        long accepted = long.MinValue;
        foreach (var write in writes.Where(w => w.Accepted))
        {
            if (write.Token < accepted)
            {
                stale.Add($"hold #{write.Hold}'s write with token {write.Token} accepted after token {accepted}");
            }
            accepted = Math.Max(accepted, write.Token);
        }
        return stale;
    }

    /// <summary>Pairs of holds whose time holding (granted to let go) overlapped in real time.</summary>
    public static int Overlaps(IReadOnlyList<LockHold> holds)
    {
        var sorted = holds.OrderBy(h => h.ReturnTime).ToArray();
        int overlaps = 0;
        for (int i = 1; i < sorted.Length; i++)
        {
            if (sorted[i].ReturnTime < sorted[i - 1].ReleaseTime)
            {
                overlaps++;
            }
        }
        return overlaps;
    }
}
