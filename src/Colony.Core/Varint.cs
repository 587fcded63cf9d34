using System.Runtime.CompilerServices;

namespace Colony.Core;

/// <summary>What <see cref="Varint.TryRead"/> found.</summary>
public enum VarintStatus : byte
{
    Ok,
    Truncated,
    TooLarge,
    NotMinimal,
}

/// <summary>
/// Unsigned LEB128: seven bits a byte, low group first, high bit = more follows. Decoding is strict
/// — no values above 64 bits, no non-minimal encodings — so every value has exactly one encoding.
/// Callers map a bad status to their own format error.
/// </summary>
public static class Varint
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

    /// <summary>Reads one value from the start of <paramref name="source"/>; <paramref name="length"/> is its size in bytes.</summary>
    public static VarintStatus TryRead(ReadOnlySpan<byte> source, out ulong value, out int length)
    {
        value = 0;
        length = 0;
        for (int i = 0; i < MaxBytes; i++)
        {
            if (i >= source.Length)
            {
                return VarintStatus.Truncated;
            }
            byte b = source[i];
            if (i == MaxBytes - 1 && b > 1)
            {
                return VarintStatus.TooLarge;
            }
            value |= (ulong)(b & 0x7F) << (7 * i);
            if (b < 0x80)
            {
                if (b == 0 && i > 0)
                {
                    return VarintStatus.NotMinimal;
                }
                length = i + 1;
                return VarintStatus.Ok;
            }
        }
        return VarintStatus.TooLarge; // unreachable: the tenth byte is rejected above or ends the value
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
