using Colony.Core;

namespace Colony.Consensus.StateMachine;

/// <summary>The shared <see cref="Core.Varint"/> for 32-bit values, with decoding errors raised as <see cref="FormatException"/>.</summary>
internal static class Varint
{
    public const int MaxBytes = 5;

    public static int Size(uint value) => Core.Varint.Size(value);

    public static int Write(Span<byte> destination, uint value) => Core.Varint.Write(destination, value);

    /// <summary>Reads one value and moves <paramref name="source"/> past it.</summary>
    public static uint Read(ref ReadOnlySpan<byte> source, string what)
    {
        var status = Core.Varint.TryRead(source, out ulong value, out int length);
        if (status == VarintStatus.Ok && value > uint.MaxValue)
        {
            status = VarintStatus.TooLarge;
        }
        switch (status)
        {
            case VarintStatus.Ok:
                source = source[length..];
                return (uint)value;
            case VarintStatus.Truncated:
                throw new FormatException($"{what}: truncated varint");
            case VarintStatus.NotMinimal:
                throw new FormatException($"{what}: varint is not minimally encoded");
            default:
                throw new FormatException($"{what}: varint exceeds 32 bits");
        }
    }
}
