using System.Runtime.CompilerServices;
using Colony.Core;

namespace Colony.Consensus.Wire;

/// <summary>The shared <see cref="Varint"/>, with decoding errors raised as <see cref="WireFormatException"/>.</summary>
internal static class WireVarint
{
    public const int MaxBytes = Varint.MaxBytes;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Size(ulong value) => Varint.Size(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Write(Span<byte> destination, ulong value) => Varint.Write(destination, value);

    /// <summary>Reads one value at <paramref name="offset"/> and moves past it.</summary>
    public static ulong Read(ReadOnlySpan<byte> source, ref int offset, string field)
    {
        switch (Varint.TryRead(source[Math.Min(offset, source.Length)..], out ulong value, out int length))
        {
            case VarintStatus.Ok:
                offset += length;
                return value;
            case VarintStatus.Truncated:
                WireThrow.Truncated(field);
                return 0;
            case VarintStatus.NotMinimal:
                WireThrow.Malformed($"{field}: varint is not minimally encoded");
                return 0;
            default:
                WireThrow.Malformed($"{field}: varint exceeds 64 bits");
                return 0;
        }
    }
}
