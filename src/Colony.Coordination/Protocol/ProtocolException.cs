using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Colony.Coordination.Protocol;

/// <summary>Why a peer's bytes could not be decoded.</summary>
public enum ProtocolError
{
    /// <summary>The input ended inside a value.</summary>
    Truncated,

    /// <summary>A length or count was negative (other than jute's -1 for null) or larger than the bytes that follow.</summary>
    InvalidLength,

    /// <summary>A frame's length prefix was negative or over the configured limit.</summary>
    FrameTooLarge,

    /// <summary>A string was not valid UTF-8.</summary>
    InvalidUtf8,

    /// <summary>A value that must be present (a path, a scheme) was encoded as null.</summary>
    MissingValue,

    /// <summary>An opcode this protocol does not accept in that place.</summary>
    UnsupportedOperation,

    /// <summary>A structurally valid message that breaks a protocol rule (e.g. a multi mixing reads and writes).</summary>
    InvalidMessage,
}

/// <summary>
/// The one exception every jute decoder throws for malformed input. A server treats it as a
/// marshalling error (or closes the connection); it never signals a bug in the caller.
/// </summary>
public sealed class ProtocolException(ProtocolError error, string message) : FormatException(message)
{
    public ProtocolError Error { get; } = error;

    [DoesNotReturn]
    [StackTraceHidden]
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void Throw(ProtocolError error, string message) => throw new ProtocolException(error, message);

    [DoesNotReturn]
    [StackTraceHidden]
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void ThrowTruncated(int needed, int remaining) =>
        throw new ProtocolException(ProtocolError.Truncated, $"Needed {needed} more bytes but only {remaining} remain.");

    [DoesNotReturn]
    [StackTraceHidden]
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void ThrowInvalidLength(int length, int remaining) =>
        throw new ProtocolException(ProtocolError.InvalidLength, $"Length or count {length} is invalid with {remaining} bytes remaining.");
}
