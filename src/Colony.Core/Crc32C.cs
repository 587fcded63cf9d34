using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Colony.Core;

/// <summary>
/// CRC-32C (Castagnoli), the checksum of every record Colony writes to disk or to the wire.
/// Uses the SSE4.2/ARMv8 instruction through <see cref="BitOperations.Crc32C(uint, ulong)"/>.
/// </summary>
/// <remarks>System.IO.Hashing.Crc32 is the IEEE polynomial, not Castagnoli: do not mix them.</remarks>
public static class Crc32C
{
    /// <summary>The CRC-32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>Extends <paramref name="crc"/> (a finished CRC of earlier bytes) over <paramref name="data"/>.</summary>
    /// <remarks>
    /// Compiled optimized at once: a short-lived process (a CLI get) otherwise verifies most of its bytes in the
    /// unoptimized first-tier code of this loop, several times slower, before the runtime recompiles it.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        uint state = ~crc;
        while (data.Length >= 8)
        {
            state = BitOperations.Crc32C(state, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        foreach (byte b in data)
        {
            state = BitOperations.Crc32C(state, b);
        }
        return ~state;
    }
}
