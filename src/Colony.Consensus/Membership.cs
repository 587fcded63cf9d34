using System.Buffers.Binary;
using System.Collections.Immutable;
using Colony.Core;

namespace Colony.Consensus;

/// <summary>
/// The voters and learners of the group. Membership entries carry the whole resulting membership,
/// not a delta, so a node can recompute its configuration from any suffix of its log.
/// </summary>
public sealed record Membership(ImmutableSortedSet<NodeId> Voters, ImmutableSortedSet<NodeId> Learners)
{
    public static readonly Membership Empty = new([], []);

    public static Membership OfVoters(params IEnumerable<NodeId> voters) =>
        new(voters.ToImmutableSortedSet(), []);

    public bool IsVoter(NodeId id) => Voters.Contains(id);

    public bool IsLearner(NodeId id) => Learners.Contains(id);

    public bool Contains(NodeId id) => IsVoter(id) || IsLearner(id);

    public IEnumerable<NodeId> All => Voters.Concat(Learners);

    /// <summary>Votes needed to win an election or commit an entry.</summary>
    public int Quorum => Voters.Count / 2 + 1;

    /// <summary>The membership after <paramref name="change"/>, or an error if the change makes no sense here.</summary>
    public Membership Apply(MembershipChange change, out string? error)
    {
        error = null;
        switch (change.Type)
        {
            case MembershipChangeType.AddVoter when IsVoter(change.Node):
                error = $"node {change.Node} is already a voter";
                return this;
            case MembershipChangeType.AddVoter:
                return new Membership(Voters.Add(change.Node), Learners.Remove(change.Node));
            case MembershipChangeType.AddLearner when Contains(change.Node):
                error = $"node {change.Node} is already a member";
                return this;
            case MembershipChangeType.AddLearner:
                return this with { Learners = Learners.Add(change.Node) };
            case MembershipChangeType.Remove when !Contains(change.Node):
                error = $"node {change.Node} is not a member";
                return this;
            case MembershipChangeType.Remove when Voters.Count == 1 && IsVoter(change.Node):
                error = "cannot remove the last voter";
                return this;
            case MembershipChangeType.Remove:
                return new Membership(Voters.Remove(change.Node), Learners.Remove(change.Node));
            default:
                error = $"unknown membership change {change.Type}";
                return this;
        }
    }

    public bool Equals(Membership? other) =>
        other is not null && Voters.SequenceEqual(other.Voters) && Learners.SequenceEqual(other.Learners);

    public override int GetHashCode() => HashCode.Combine(Voters.Count, Learners.Count, Voters.FirstOrDefault());

    public override string ToString() =>
        $"voters=({string.Join(',', Voters)}) learners=({string.Join(',', Learners)})";

    /// <summary>Encodes as: voter count (u32), voters (u64 each), learner count (u32), learners (u64 each), big-endian.</summary>
    public byte[] Encode()
    {
        var buffer = new byte[8 + 8 * (Voters.Count + Learners.Count)];
        var span = buffer.AsSpan();
        WriteSet(ref span, Voters);
        WriteSet(ref span, Learners);
        return buffer;
    }

    public static Membership Decode(ReadOnlySpan<byte> data)
    {
        var voters = ReadSet(ref data);
        var learners = ReadSet(ref data);
        if (!data.IsEmpty)
        {
            throw new FormatException("trailing bytes after membership");
        }
        return new Membership(voters, learners);
    }

    private static void WriteSet(ref Span<byte> span, ImmutableSortedSet<NodeId> set)
    {
        BinaryPrimitives.WriteUInt32BigEndian(span, (uint)set.Count);
        span = span[4..];
        foreach (var id in set)
        {
            BinaryPrimitives.WriteUInt64BigEndian(span, id.Value);
            span = span[8..];
        }
    }

    private static ImmutableSortedSet<NodeId> ReadSet(ref ReadOnlySpan<byte> data)
    {
        if (data.Length < 4)
        {
            throw new FormatException("membership truncated");
        }
        uint count = BinaryPrimitives.ReadUInt32BigEndian(data);
        data = data[4..];
        if ((ulong)count * 8 > (ulong)data.Length)
        {
            throw new FormatException("membership truncated");
        }
        var builder = ImmutableSortedSet.CreateBuilder<NodeId>();
        for (int i = 0; i < count; i++)
        {
            builder.Add(new NodeId(BinaryPrimitives.ReadUInt64BigEndian(data)));
            data = data[8..];
        }
        return builder.ToImmutable();
    }
}

/// <summary>The kinds of membership change. Persisted values: never renumber.</summary>
public enum MembershipChangeType : byte
{
    AddVoter = 1,
    AddLearner = 2,
    Remove = 3,
}

/// <summary>One membership change: Colony changes one member at a time (see docs/consensus.md).</summary>
public readonly record struct MembershipChange(MembershipChangeType Type, NodeId Node);
