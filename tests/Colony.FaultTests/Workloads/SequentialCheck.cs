namespace Colony.FaultTests.Workloads;

/// <summary>An acknowledged create of a sequential znode: when it was called and answered, and the counter it got.</summary>
public readonly record struct SequentialCreate(long CallTime, long ReturnTime, long Sequence);

/// <summary>
/// The sequential-node guarantee: a parent's counter never hands out a number twice, and a create
/// that was answered before another was called got the smaller number (real-time order).
/// </summary>
public static class SequentialCheck
{
    public static (bool Valid, string Detail) Check(IReadOnlyList<SequentialCreate> creates)
    {
        var repeated = creates.GroupBy(c => c.Sequence).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (repeated.Count > 0)
        {
            return (false, $"sequence number(s) handed out twice: {string.Join(", ", repeated.Take(10))}");
        }
        // Sweep in call order, knowing the largest number of every create answered before this call.
        var byReturn = creates.OrderBy(c => c.ReturnTime).ToArray();
        int answered = 0;
        SequentialCreate? highest = null;
        foreach (var create in creates.OrderBy(c => c.CallTime))
        {
            while (answered < byReturn.Length && byReturn[answered].ReturnTime < create.CallTime)
            {
                if (highest is null || byReturn[answered].Sequence > highest.Value.Sequence)
                {
                    highest = byReturn[answered];
                }
                answered++;
            }
            if (highest is { } earlier && earlier.Sequence >= create.Sequence)
            {
                return (false, $"create called at {create.CallTime} got {create.Sequence}, but one answered at {earlier.ReturnTime} had already got {earlier.Sequence}");
            }
        }
        return (true, $"{creates.Count} acknowledged creates, every number once and in real-time order");
    }
}
