using Colony.Coordination;
using Colony.Coordination.Protocol;

namespace Colony.Client;

/// <summary>Turns a reply into a request's result, or throws the request's error. Runs on the receive loop.</summary>
internal delegate T ReplyDecoder<T>(in ReplyHeader header, ReadOnlySpan<byte> body);

/// <summary>A request sent and not yet answered.</summary>
internal abstract class PendingRequest
{
    public int Xid { get; set; }

    public abstract OpCode Type { get; }

    /// <summary>
    /// Decodes the reply and completes the caller's task. Throws only for a reply that cannot be decoded.
    /// With <paramref name="continueHere"/>, the caller continues on this thread, before this returns.
    /// </summary>
    public abstract void Complete(in ReplyHeader header, ReadOnlySpan<byte> body, bool continueHere);

    /// <summary>Fails the caller's task; the caller continues on the thread pool.</summary>
    public abstract void Fail(Exception error);
}

/// <param name="inline">
/// Whether the caller may continue on the thread that completes the request (<see cref="ContinuationPolicy"/>).
/// Without it the caller always continues on the thread pool.
/// </param>
internal sealed class PendingRequest<T>(OpCode type, ReplyDecoder<T> decode, Action? onDone, bool inline) : PendingRequest
{
    private readonly TaskCompletionSource<T> completion = new(inline ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously);
    private int done;

    public override OpCode Type { get; } = type;

    public Task<T> Task => completion.Task;

    public override void Complete(in ReplyHeader header, ReadOnlySpan<byte> body, bool continueHere)
    {
        T result;
        try
        {
            result = decode(header, body);
        }
        catch (ProtocolException e)
        {
            Fail(new ConnectionLossException($"The server's reply to {Type} could not be decoded: {e.Message}", e));
            throw;
        }
        catch (Exception e)
        {
            // The server's answer is an error (NoNode, BadVersion...): that completes the request as surely as a result.
            if (Finish())
            {
                Settle(default, e, continueHere);
            }
            return;
        }
        if (Finish())
        {
            Settle(result, null, continueHere);
        }
    }

    public override void Fail(Exception error)
    {
        // A failure comes from the session's own work (a dropped connection, the session's end), which must not wait on callers.
        if (Finish())
        {
            Settle(default, error, continueHere: false);
        }
    }

    private void Settle(T? result, Exception? error, bool continueHere)
    {
        if (continueHere || !inline)
        {
            SetOutcome(completion, result, error);
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(static state => SetOutcome(state.Completion, state.Result, state.Error), (Completion: completion, Result: result, Error: error), preferLocal: false);
        }
    }

    private static void SetOutcome(TaskCompletionSource<T> completion, T? result, Exception? error)
    {
        if (error is null)
        {
            completion.TrySetResult(result!);
        }
        else
        {
            completion.TrySetException(error);
        }
    }

    private bool Finish()
    {
        if (Interlocked.Exchange(ref done, 1) != 0)
        {
            return false;
        }
        onDone?.Invoke();
        return true;
    }
}

/// <summary>
/// The requests in flight on the current connection. ZooKeeper answers a session's requests in the
/// order they were sent, so replies are matched to the head of a FIFO queue; auth replies are
/// answered out of band (the server handles them before queued requests), so they have their own
/// queue. The number of requests in flight is bounded: callers wait for room.
/// </summary>
internal sealed class RequestPipeline(int maxOutstanding)
{
    private readonly Queue<PendingRequest> requests = new();
    private readonly Queue<PendingRequest> auths = new();
    private readonly SemaphoreSlim room = new(maxOutstanding, maxOutstanding);
    private readonly object gate = new();

    public int Count
    {
        get
        {
            lock (gate)
            {
                return requests.Count + auths.Count;
            }
        }
    }

    /// <summary>Waits until one more request may be in flight; release it with <see cref="Release"/> when the request completes.</summary>
    public Task ReserveAsync(CancellationToken cancellationToken) => room.WaitAsync(cancellationToken);

    public void Release() => room.Release();

    public void Enqueue(PendingRequest request)
    {
        lock (gate)
        {
            (request.Xid == SpecialXid.Auth ? auths : requests).Enqueue(request);
        }
    }

    /// <summary>The request a reply with <paramref name="xid"/> answers. A reply out of order breaks the protocol: it throws, and the connection is dropped.</summary>
    public PendingRequest Take(int xid)
    {
        lock (gate)
        {
            Queue<PendingRequest> queue = xid == SpecialXid.Auth ? auths : requests;
            if (!queue.TryPeek(out PendingRequest? head))
            {
                throw new IOException($"The server answered xid {xid}, but no request is outstanding.");
            }
            if (head.Xid != xid)
            {
                throw new IOException($"The server answered xid {xid} while xid {head.Xid} ({head.Type}) was next.");
            }
            return queue.Dequeue();
        }
    }

    /// <summary>Removes every outstanding request, to be failed by the caller.</summary>
    public List<PendingRequest> DrainAll()
    {
        lock (gate)
        {
            var all = new List<PendingRequest>(requests.Count + auths.Count);
            all.AddRange(requests);
            all.AddRange(auths);
            requests.Clear();
            auths.Clear();
            return all;
        }
    }
}
