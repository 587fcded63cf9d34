namespace Colony.Consensus.StateMachine;

/// <summary>Unsigned LEB128 for 32-bit values: seven bits a byte, low group first, high bit = more follows.</summary>
internal static class Varint
{
    public const int MaxBytes = 5;

    public static int Size(uint value)
    {
        int size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }
        return size;
    }

    public static int Write(Span<byte> destination, uint value)
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

    /// <summary>
    /// Reads one value. Rejects truncation, values above 32 bits and non-minimal encodings, so that
    /// every value has exactly one encoding.
    /// </summary>
    public static uint Read(ref ReadOnlySpan<byte> source, string what)
    {
        uint value = 0;
        for (int i = 0; i < MaxBytes; i++)
        {
            if (i >= source.Length)
            {
                throw new FormatException($"{what}: truncated varint");
            }
            byte b = source[i];
            if (i == MaxBytes - 1 && b > 0x0F)
            {
                throw new FormatException($"{what}: varint exceeds 32 bits");
            }
            value |= (uint)(b & 0x7F) << (7 * i);
            if (b < 0x80)
            {
                if (b == 0 && i > 0)
                {
                    throw new FormatException($"{what}: varint is not minimally encoded");
                }
                source = source[(i + 1)..];
                return value;
            }
        }
        // Unreachable: the fifth byte is either rejected above or ends the value.
        throw new FormatException($"{what}: varint exceeds 32 bits");
    }
}
