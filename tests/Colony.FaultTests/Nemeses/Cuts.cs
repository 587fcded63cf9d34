namespace Colony.FaultTests.Nemeses;

/// <summary>
/// A network partition as the set of node pairs that cannot talk (both directions). Nodes are
/// numbered 1..n. Pure: the bed turns it into firewall rules.
/// </summary>
public sealed class Cuts
{
    private readonly SortedSet<(int A, int B)> _pairs = [];

    public static Cuts None { get; } = new();

    /// <summary>The pairs cut, each with the smaller node first, in order.</summary>
    public IReadOnlyCollection<(int A, int B)> Pairs => _pairs;

    public bool IsEmpty => _pairs.Count == 0;

    /// <summary>Whether <paramref name="a"/> and <paramref name="b"/> cannot talk.</summary>
    public bool Separates(int a, int b) => _pairs.Contains(Ordered(a, b));

    /// <summary>The nodes <paramref name="node"/> cannot reach.</summary>
    public IEnumerable<int> CutFrom(int node) =>
        _pairs.Where(p => p.A == node || p.B == node).Select(p => p.A == node ? p.B : p.A);

    /// <summary>Every node of one side cut from every node of the other.</summary>
    public static Cuts Between(IEnumerable<int> side, IEnumerable<int> other)
    {
        var cuts = new Cuts();
        var others = other.ToList();
        foreach (var a in side)
        {
            foreach (var b in others)
            {
                if (a != b)
                {
                    cuts._pairs.Add(Ordered(a, b));
                }
            }
        }
        return cuts;
    }

    /// <summary><paramref name="node"/> alone, cut from every other of the <paramref name="nodeCount"/> nodes.</summary>
    public static Cuts Isolate(int node, int nodeCount) =>
        Between([node], Enumerable.Range(1, nodeCount).Where(n => n != node));

    /// <summary>
    /// Two halves that cannot talk, except through <paramref name="bridge"/>, which reaches both:
    /// the nodes before it in <paramref name="order"/> form one half, the nodes after it the other.
    /// </summary>
    public static Cuts Bridged(IReadOnlyList<int> order, int bridge)
    {
        int at = order.ToList().IndexOf(bridge);
        if (at < 0)
        {
            throw new ArgumentException($"bridge {bridge} is not among the nodes", nameof(bridge));
        }
        return Between(order.Take(at), order.Skip(at + 1));
    }

    /// <summary>
    /// These cuts extended to client hosts, numbered after the <paramref name="nodeCount"/> nodes
    /// (client host k is nodeCount + k): each is cut from every node that the node it stands beside
    /// (<paramref name="beside"/>[k − 1]) is cut from, and from nothing else.
    /// </summary>
    public Cuts WithClientHosts(IReadOnlyList<int> beside, int nodeCount)
    {
        var cuts = new Cuts();
        cuts._pairs.UnionWith(_pairs);
        for (int k = 1; k <= beside.Count; k++)
        {
            int node = beside[k - 1];
            if (node < 1 || node > nodeCount)
            {
                throw new ArgumentOutOfRangeException(nameof(beside), node, $"client host {k} must stand beside one of the {nodeCount} nodes");
            }
            foreach (var other in CutFrom(node).Where(o => o <= nodeCount))
            {
                cuts._pairs.Add(Ordered(nodeCount + k, other));
            }
        }
        return cuts;
    }

    public override string ToString() =>
        IsEmpty ? "no cuts" : string.Join(' ', _pairs.Select(p => $"{p.A}x{p.B}"));

    private static (int, int) Ordered(int a, int b) => a < b ? (a, b) : (b, a);
}
