using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using Colony.Coordination.Protocol;

namespace Colony.Client;

/// <summary>
/// Reads one connection's frames on a thread of its own, with blocking reads, and hands each frame to
/// the handler on that thread. While <see cref="ContinuationPolicy.Inline"/> holds, a reply's caller
/// continues on this thread too, so an awaited request costs one thread wake-up: the kernel wakes this
/// thread, not the runtime's socket event loop, which would then wake a thread-pool worker.
/// <para>
/// A caller that keeps the thread longer than <see cref="StallLimit"/> (blocked on another reply, or
/// just busy) loses it: <see cref="StallWatchdog"/> starts another thread, which carries on reading from
/// the next frame, and the client's continuations move to the thread pool for good. A blocked caller
/// thus costs one pause of at most about twice the limit, never a deadlock.
/// </para>
/// </summary>
internal sealed class ReceiveLoop
{
    /// <summary>How long a handler may keep the reading thread before another takes over.</summary>
    public static readonly TimeSpan StallLimit = TimeSpan.FromMilliseconds(100);

    private const int InitialBufferBytes = 64 * 1024;

    private readonly Socket socket;
    private readonly FrameHandler handler;
    private readonly ContinuationPolicy policy;
    private readonly int maxFrameBytes;
    private readonly TimeSpan readTimeout;
    private readonly Func<bool> aborted;
    private readonly string server;
    private readonly TaskCompletionSource done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object gate = new();
    private Reader owner; // the reader whose thread reads now; guarded by gate
    private long handlerSince; // when the owner's current handler call began; 0 outside one; guarded by gate

    private ReceiveLoop(Socket socket, FrameHandler handler, ContinuationPolicy policy, int maxFrameBytes, TimeSpan readTimeout, Func<bool> aborted, string server)
    {
        this.socket = socket;
        this.handler = handler;
        this.policy = policy;
        this.maxFrameBytes = maxFrameBytes;
        this.readTimeout = readTimeout;
        this.aborted = aborted;
        this.server = server;
        owner = new Reader([]);
    }

    /// <summary>Completes when the server closes the connection; fails when reading or a handler fails.</summary>
    public Task Completion => done.Task;

    /// <summary>Starts reading on a new thread.</summary>
    /// <param name="aborted">True once the connection is closed from this side: its read errors are then no news.</param>
    public static ReceiveLoop Start(Socket socket, FrameHandler handler, ContinuationPolicy policy, int maxFrameBytes, TimeSpan readTimeout, Func<bool> aborted, string server)
    {
        var loop = new ReceiveLoop(socket, handler, policy, maxFrameBytes, readTimeout, aborted, server);
        socket.ReceiveTimeout = (int)Math.Clamp(readTimeout.TotalMilliseconds, 1, int.MaxValue);
        StallWatchdog.Watch(loop);
        loop.StartThread(loop.owner);
        return loop;
    }

    /// <summary>Called by the watchdog: if a handler has kept the reading thread too long, another thread takes over.</summary>
    public void TakeOverIfStalled(long now)
    {
        Reader next;
        lock (gate)
        {
            if (handlerSince == 0 || done.Task.IsCompleted || Stopwatch.GetElapsedTime(handlerSince, now) < StallLimit)
            {
                return;
            }
            policy.StopInline();
            // The stalled thread keeps its buffer (its handler may still read the frame in it); the
            // new one starts from a copy of what follows that frame.
            next = new Reader(owner.Unread);
            owner = next;
            handlerSince = 0;
        }
        StartThread(next);
    }

    private void StartThread(Reader reader)
    {
        var thread = new Thread(() => Run(reader)) { IsBackground = true, Name = $"zk-receive {server}" };
        thread.UnsafeStart();
    }

    private void Run(Reader me)
    {
        try
        {
            while (true)
            {
                while (TryTakeFrame(me, out int offset, out int length))
                {
                    if (!EnterHandler(me))
                    {
                        // Aborted with frames still buffered (or no longer the reader): end as a failed read would.
                        Finish(me, error: null);
                        return;
                    }
                    try
                    {
                        handler(me.Buffer.AsSpan(offset, length), policy.Inline);
                    }
                    catch (Exception) when (!LeaveHandler(me))
                    {
                        return; // another thread reads now: this failure is the stalled caller's, not the connection's
                    }
                    if (!LeaveHandler(me))
                    {
                        return;
                    }
                }
                if (!Fill(me))
                {
                    Finish(me, error: null);
                    return;
                }
            }
        }
        catch (Exception e)
        {
            Finish(me, e);
        }
    }

    private bool EnterHandler(Reader me)
    {
        lock (gate)
        {
            if (owner != me || aborted())
            {
                return false;
            }
            handlerSince = Stopwatch.GetTimestamp();
            return true;
        }
    }

    /// <summary>False if another thread took over the reading meanwhile.</summary>
    private bool LeaveHandler(Reader me)
    {
        lock (gate)
        {
            if (owner != me)
            {
                return false;
            }
            handlerSince = 0;
            return true;
        }
    }

    private void Finish(Reader me, Exception? error)
    {
        lock (gate)
        {
            if (owner != me)
            {
                return;
            }
        }
        StallWatchdog.Forget(this);
        if (aborted())
        {
            done.TrySetCanceled();
        }
        else if (error is SocketException { SocketErrorCode: SocketError.TimedOut or SocketError.WouldBlock })
        {
            done.TrySetException(new TimeoutException($"{server} sent nothing for {readTimeout.TotalMilliseconds:0} ms."));
        }
        else if (error is not null)
        {
            done.TrySetException(error);
        }
        else
        {
            done.TrySetResult();
        }
    }

    /// <summary>Takes the next whole frame off the reader's buffer; throws on a length outside 0..maxFrameBytes.</summary>
    private bool TryTakeFrame(Reader me, out int offset, out int length)
    {
        offset = 0;
        length = 0;
        int available = me.End - me.Start;
        if (available < FrameReader.LengthPrefixBytes)
        {
            return false;
        }
        length = BinaryPrimitives.ReadInt32BigEndian(me.Buffer.AsSpan(me.Start));
        FrameReader.CheckLength(length, maxFrameBytes);
        if (available - FrameReader.LengthPrefixBytes < length)
        {
            return false;
        }
        offset = me.Start + FrameReader.LengthPrefixBytes;
        me.Start = offset + length;
        return true;
    }

    /// <summary>Blocks until more bytes arrive; false when the server closed the connection between frames.</summary>
    private bool Fill(Reader me)
    {
        if (me.End == me.Buffer.Length)
        {
            me.MakeRoom();
        }
        int read = socket.Receive(me.Buffer, me.End, me.Buffer.Length - me.End, SocketFlags.None);
        if (read == 0)
        {
            if (me.End != me.Start)
            {
                throw new IOException($"{server} closed the connection inside a frame.");
            }
            return false;
        }
        me.End += read;
        return true;
    }

    /// <summary>One reading thread's buffer: bytes [Start, End) are received and not yet handled.</summary>
    private sealed class Reader
    {
        public Reader(ReadOnlySpan<byte> unread)
        {
            Buffer = new byte[Math.Max(InitialBufferBytes, unread.Length)];
            unread.CopyTo(Buffer);
            End = unread.Length;
        }

        public byte[] Buffer { get; private set; }

        public int Start { get; set; }

        public int End { get; set; }

        public ReadOnlySpan<byte> Unread => Buffer.AsSpan(Start, End - Start);

        /// <summary>Moves the unread bytes to the front, or doubles the buffer when they fill it (a frame longer than it).</summary>
        public void MakeRoom()
        {
            int unread = End - Start;
            byte[] target = Start > 0 ? Buffer : new byte[Buffer.Length * 2];
            Array.Copy(Buffer, Start, target, 0, unread);
            Buffer = target;
            Start = 0;
            End = unread;
        }
    }
}
