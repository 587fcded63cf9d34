namespace Colony.Core;

/// <summary>A node's identity in the cluster. Zero means "none".</summary>
public readonly record struct NodeId(ulong Value) : IComparable<NodeId>
{
    public static readonly NodeId None = default;

    public bool IsNone => Value == 0;

    public int CompareTo(NodeId other) => Value.CompareTo(other.Value);

    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static implicit operator NodeId(ulong value) => new(value);
}
