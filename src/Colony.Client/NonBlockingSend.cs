using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Colony.Client;

/// <summary>
/// A send that never blocks, on a socket that stays in blocking mode: Linux's <c>MSG_DONTWAIT</c>.
/// .NET offers it only by switching the socket to non-blocking mode for good, after which its blocking
/// calls go through the runtime's event loop. Elsewhere <see cref="IsSupported"/> is false.
/// </summary>
internal static class NonBlockingSend
{
    private const int DontWait = 0x40;
    private const int NoSignal = 0x4000;

    public static bool IsSupported { get; } = OperatingSystem.IsLinux();

    /// <summary>
    /// Hands the kernel as much of <paramref name="buffer"/> as fits in the socket's send buffer right
    /// now and returns how many bytes that was: 0 when it is full, and also on any error (the next
    /// blocking send meets the error and reports it).
    /// </summary>
    public static int TrySend(SafeSocketHandle socket, ReadOnlySpan<byte> buffer)
    {
        try
        {
            nint sent = Send(socket, ref Unsafe.AsRef(in MemoryMarshal.GetReference(buffer)), buffer.Length, DontWait | NoSignal);
            return sent > 0 ? (int)sent : 0;
        }
        catch (ObjectDisposedException)
        {
            return 0;
        }
    }

    // The handle's reference count keeps the descriptor open for the length of the call, even if
    // another thread disposes the socket meanwhile.
    [DllImport("libc", EntryPoint = "send", SetLastError = true)]
    private static extern nint Send(SafeSocketHandle socket, ref byte buffer, nint length, int flags);
}
