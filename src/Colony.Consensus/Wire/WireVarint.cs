using System.Runtime.CompilerServices;

namespace Colony.Consensus.Wire;

/// <summary>Unsigned LEB128 for 64-bit values: seven bits a byte, low group first, high bit = more follows.</summary>
internal static class WireVarint
{
    public const int MaxBytes = 10;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Size(ulong value) => value < 0x80 ? 1 : SizeSlow(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Write(Span<byte> destination, ulong value)
    {
        if (value < 0x80)
        {
            destination[0] = (byte)value;
            return 1;
        }
        return WriteSlow(destination, value);
    }

    /// <summary>
    /// Reads one value at <paramref name="offset"/> and moves past it. Rejects truncation, values above
    /// 64 bits and non-minimal encodings, so that every value has exactly one encoding.
    /// </summary>
    public static ulong Read(ReadOnlySpan<byte> source, ref int offset, string field)
    {
        ulong value = 0;
        for (int i = 0; i < MaxBytes; i++)
        {
            int at = offset + i;
            if (at >= source.Length)
            {
                WireThrow.Truncated(field);
            }
            byte b = source[at];
            if (i == MaxBytes - 1 && b > 1)
            {
                WireThrow.Malformed($"{field}: varint exceeds 64 bits");
            }
            value |= (ulong)(b & 0x7F) << (7 * i);
            if (b < 0x80)
            {
                if (b == 0 && i > 0)
                {
                    WireThrow.Malformed($"{field}: varint is not minimally encoded");
                }
                offset = at + 1;
                return value;
            }
        }
        // Unreachable: the tenth byte is either rejected above or ends the value.
        WireThrow.Malformed($"{field}: varint exceeds 64 bits");
        return 0;
    }

    private static int SizeSlow(ulong value)
    {
        int size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }
        return size;
    }

    private static int WriteSlow(Span<byte> destination, ulong value)
    {
        int i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        destination[i++] = (byte)value;
        return i;
    }
}
