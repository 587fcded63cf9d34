using System.Globalization;

namespace Colony.Core;

/// <summary>
/// A block's identity, allocated by the namespace from a counter and never reused. Zero means "none".
/// Printed as <c>blk_N</c>, the name of its file on a data node.
/// </summary>
public readonly record struct BlockId(ulong Value) : IComparable<BlockId>
{
    public static readonly BlockId None = default;

    public bool IsNone => Value == 0;

    public int CompareTo(BlockId other) => Value.CompareTo(other.Value);

    public override string ToString() => "blk_" + Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// A block's version. It grows whenever a write pipeline is rebuilt or a lease is recovered, so a replica
/// left behind by a failed pipeline (older stamp) can be told apart from a current one.
/// </summary>
public readonly record struct GenerationStamp(ulong Value) : IComparable<GenerationStamp>
{
    public int CompareTo(GenerationStamp other) => Value.CompareTo(other.Value);

    public static bool operator <(GenerationStamp a, GenerationStamp b) => a.Value < b.Value;

    public static bool operator >(GenerationStamp a, GenerationStamp b) => a.Value > b.Value;

    public static bool operator <=(GenerationStamp a, GenerationStamp b) => a.Value <= b.Value;

    public static bool operator >=(GenerationStamp a, GenerationStamp b) => a.Value >= b.Value;

    public GenerationStamp Next() => new(Value + 1);

    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>One version of one block: what a replica on disk is, and what the namespace expects.</summary>
public readonly record struct BlockVersion(BlockId Id, GenerationStamp Stamp)
{
    public override string ToString() => $"{Id}_{Stamp}";
}
