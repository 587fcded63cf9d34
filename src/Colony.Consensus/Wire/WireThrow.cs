using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Colony.Consensus.Wire;

/// <summary>Throw helpers, kept out of line so the decoding paths stay small.</summary>
internal static class WireThrow
{
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Truncated(string field) => throw new WireFormatException($"{field}: truncated");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Malformed(string message) => throw new WireFormatException(message);

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void FrameTooLarge(long frameBytes, int maxFrameBytes) =>
        throw new WireFormatException($"frame of {frameBytes} bytes exceeds the limit of {maxFrameBytes}");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void BadChecksum(uint expected, uint actual) =>
        throw new WireFormatException($"frame checksum {actual:x8} does not match {expected:x8}");
}
