using System.Net;
using Colony.Coordination;
using Colony.Coordination.Protocol;

namespace Colony.Client;

// The session's life: connecting, the handshake, re-sending credentials and watches, the receive
// loop, pings, reconnecting, and the session's end.
public sealed partial class ZooKeeperClient
{
    /// <summary>setWatches requests are split so that none carries more path bytes than this.</summary>
    private const int SetWatchesBatchBytes = 128 * 1024;

    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MinAttemptTimeout = TimeSpan.FromMilliseconds(500);

    private async Task RunSessionAsync()
    {
        CancellationToken stop = lifetime.Token;
        int next = 0;
        int failedRounds = 0;
        int failedInRound = 0;
        while (!stop.IsCancellationRequested)
        {
            DnsEndPoint server = servers[next];
            next = (next + 1) % servers.Length;
            ClientConnection? current = null;
            bool established = false;
            try
            {
                TimeSpan attempt = AttemptTimeout();
                current = await ClientConnection.OpenAsync(server, options.MaxFrameBytes, time, attempt, options.ConnectCallback, stop).ConfigureAwait(false);
                ConnectResponse response = await HandshakeAsync(current, attempt, stop).ConfigureAwait(false);
                if (response.TimeOut <= 0)
                {
                    EndSession(KeeperState.Expired, static () => new SessionExpiredException());
                    return;
                }
                established = Establish(current, response);
                if (!established)
                {
                    return;
                }
                failedRounds = 0;
                failedInRound = 0;
                await RunConnectionAsync(current, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                lastConnectError = e;
            }
            finally
            {
                if (current is not null)
                {
                    Drop(current);
                    try
                    {
                        await current.DisposeAsync().ConfigureAwait(false);
                    }
                    catch (Exception e)
                    {
                        // Tearing down a dead socket must not end the session loop.
                        lastConnectError ??= e;
                    }
                }
            }

            TimeSpan pause = TimeSpan.Zero;
            if (established)
            {
                // A short random pause keeps clients kicked off together (a server restart, two
                // clients sharing one session) from reconnecting in lockstep.
                pause = FirstRetryDelay * Random.Shared.NextDouble();
            }
            else if (++failedInRound >= servers.Length)
            {
                // Every server refused: pause before the next round, longer each time, up to the limit.
                failedInRound = 0;
                failedRounds++;
                pause = RetryDelay(failedRounds);
            }
            if (pause > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(pause, time, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>How long one server gets to connect and answer the handshake: its share of the session timeout, within bounds.</summary>
    private TimeSpan AttemptTimeout()
    {
        TimeSpan share = options.SessionTimeout / servers.Length;
        share = share < options.ConnectTimeout ? share : options.ConnectTimeout;
        return share < MinAttemptTimeout ? MinAttemptTimeout : share;
    }

    private TimeSpan RetryDelay(int failedRounds)
    {
        double factor = Math.Pow(2, Math.Min(failedRounds - 1, 16));
        TimeSpan delay = FirstRetryDelay * factor;
        TimeSpan capped = delay < options.MaxReconnectDelay ? delay : options.MaxReconnectDelay;
        // Jitter spreads the clients of a restarted server over time.
        return capped * (0.5 + (Random.Shared.NextDouble() / 2));
    }

    private async Task<ConnectResponse> HandshakeAsync(ClientConnection current, TimeSpan timeout, CancellationToken stop)
    {
        ConnectRequest request;
        lock (gate)
        {
            request = new ConnectRequest(ProtocolVersion, LastZxid, (int)options.SessionTimeout.TotalMilliseconds, sessionId, sessionPassword, options.ReadOnly);
        }
        current.TrySend(FrameBuffer.Create(request));
        byte[] reply = await current.ReadFrameAsync(timeout, stop).ConfigureAwait(false);
        return Jute.Decode<ConnectResponse>(reply);
    }

    /// <summary>Adopts a connection whose handshake succeeded; false if the client ended meanwhile.</summary>
    private bool Establish(ClientConnection current, ConnectResponse response)
    {
        KeeperState connected;
        lock (gate)
        {
            if (terminalError is not null)
            {
                return false;
            }
            sessionId = response.SessionId;
            sessionPassword = response.Password;
            negotiatedTimeout = TimeSpan.FromMilliseconds(response.TimeOut);

            // Credentials first, then watches, then the requests waiting for this connection: the
            // server must know who we are before it re-checks watches or runs requests.
            foreach ((string scheme, byte[] auth) in credentials)
            {
                SendAuth(current, scheme, auth, new PendingRequest<bool>(OpCode.Auth, AuthReply, onDone: null, continuations.Inline));
            }
            SendSetWatches(current);

            connection = current;
            connected = response.ReadOnly ? KeeperState.ConnectedReadOnly : KeeperState.SyncConnected;
            state = connected;
            connectedSignal.TrySetResult();
        }
        firstConnection.TrySetResult();
        Notify(connected);
        return true;
    }

    private void SendAuth(ClientConnection current, string scheme, byte[] auth, PendingRequest request)
    {
        request.Xid = SpecialXid.Auth;
        pipeline.Enqueue(request);
        current.TrySend(FrameBuffer.Create(new RequestHeader(SpecialXid.Auth, OpCode.Auth), new AuthPacket(0, scheme, auth)));
    }

    private static bool AuthReply(in ReplyHeader header, ReadOnlySpan<byte> body) =>
        header.Err == ErrorCode.Ok ? true : throw ZooKeeperException.Create(header.Err);

    /// <summary>
    /// Re-registers every watch on the new connection. The server compares each watched node with
    /// the last zxid this client saw and fires the watches whose nodes changed while we were away.
    /// </summary>
    private void SendSetWatches(ClientConnection current)
    {
        WatchPaths paths = watches.Snapshot();
        if (paths.IsEmpty)
        {
            return;
        }
        // Plain setWatches unless persistent watches need setWatches2, so older servers still work.
        bool persistent = paths.Persistent.Count + paths.PersistentRecursive.Count > 0;
        long relativeZxid = LastZxid;
        var lists = new[] { paths.Data, paths.Exist, paths.Child, paths.Persistent, paths.PersistentRecursive };
        var batch = new List<string>[lists.Length];
        for (int i = 0; i < batch.Length; i++)
        {
            batch[i] = [];
        }
        int batchBytes = 0;

        void Flush()
        {
            ClientRequest request = persistent
                ? new SetWatches2(relativeZxid, Server(batch[0]), Server(batch[1]), Server(batch[2]), Server(batch[3]), Server(batch[4]))
                : new SetWatches(relativeZxid, Server(batch[0]), Server(batch[1]), Server(batch[2]));
            OpCode type = persistent ? OpCode.SetWatches2 : OpCode.SetWatches;
            current.TrySend(FrameBuffer.Create(new RequestHeader(SpecialXid.SetWatches, type), request));
            foreach (List<string> list in batch)
            {
                list.Clear();
            }
            batchBytes = 0;
        }

        for (int kind = 0; kind < lists.Length; kind++)
        {
            foreach (string path in lists[kind])
            {
                if (batchBytes + path.Length > SetWatchesBatchBytes && batchBytes > 0)
                {
                    Flush();
                }
                batch[kind].Add(path);
                batchBytes += path.Length;
            }
        }
        Flush();
    }

    private string[] Server(List<string> clientPaths) => [.. clientPaths.Select(connectString.ToServerPath)];

    /// <summary>Runs the receive loop and pings until the connection fails.</summary>
    private async Task RunConnectionAsync(ClientConnection current, CancellationToken stop)
    {
        TimeSpan timeout = SessionTimeout;
        // ZooKeeper's rhythm: ping after a third of the timeout idle, give up after two thirds silent.
        Task pinging = PingAsync(current, timeout / 3, stop);
        try
        {
            await current.ReceiveAsync(OnFrame, continuations, timeout * 2 / 3, stop).ConfigureAwait(false);
            throw new IOException($"{current} closed the connection.");
        }
        finally
        {
            current.Abort();
            await pinging.ConfigureAwait(false);
        }
    }

    private async Task PingAsync(ClientConnection current, TimeSpan interval, CancellationToken stop)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, current.Closed);
        try
        {
            while (true)
            {
                TimeSpan idle = time.GetElapsedTime(current.LastSendTimestamp);
                if (idle >= interval)
                {
                    current.TrySend(FrameBuffer.Create(new RequestHeader(SpecialXid.Ping, OpCode.Ping), EmptyRequest.Instance));
                    idle = TimeSpan.Zero;
                }
                await Task.Delay(interval - idle, time, linked.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>One frame from the server: a reply, a notification, or a ping/auth/setWatches answer.</summary>
    private void OnFrame(ReadOnlySpan<byte> frame, bool continueHere)
    {
        var reader = new JuteReader(frame);
        var header = ReplyHeader.Read(ref reader);
        ReadOnlySpan<byte> body = frame[reader.Position..];
        switch (header.Xid)
        {
            case SpecialXid.Ping:
            case SpecialXid.SetWatches:
                return;
            case SpecialXid.Notification:
                OnNotification(body, continueHere);
                return;
            case SpecialXid.Auth:
                pipeline.Take(header.Xid).Complete(header, body, continueHere);
                if (header.Err == ErrorCode.AuthFailed)
                {
                    EndSession(KeeperState.AuthFailed, static () => new AuthFailedException());
                }
                return;
            default:
                PendingRequest request = pipeline.Take(header.Xid);
                if (header.Zxid > 0)
                {
                    Interlocked.Exchange(ref lastZxid, Math.Max(header.Zxid, LastZxid));
                }
                request.Complete(header, body, continueHere);
                return;
        }
    }

    private void OnNotification(ReadOnlySpan<byte> body, bool continueHere)
    {
        var reader = new JuteReader(body);
        var notification = WatcherEvent.Read(ref reader);
        string? path = notification.Path is null ? null : connectString.ToClientPath(notification.Path);
        IReadOnlyCollection<Watcher> woken = watches.Materialize(notification.Type, path);
        events.Dispatch(woken, new WatchedEvent(notification.Type, notification.State, path), continueHere);
    }

    /// <summary>Forgets a failed connection: its requests fail with connection loss and the state becomes Disconnected.</summary>
    private void Drop(ClientConnection current)
    {
        bool wasConnected;
        List<PendingRequest> orphans;
        Func<Exception>? ended;
        lock (gate)
        {
            wasConnected = connection == current;
            if (wasConnected)
            {
                connection = null;
                state = KeeperState.Disconnected;
                connectedSignal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            orphans = pipeline.DrainAll();
            ended = terminalError;
        }
        current.Abort();
        foreach (PendingRequest request in orphans)
        {
            request.Fail(ended?.Invoke() ?? new ConnectionLossException($"The connection to {current} was lost before the server answered."));
        }
        if (wasConnected)
        {
            Notify(KeeperState.Disconnected);
        }
    }

    /// <summary>Ends the session for good: Expired, AuthFailed or Closed. Idempotent; the first end wins.</summary>
    private void EndSession(KeeperState final, Func<Exception> error)
    {
        ClientConnection? current;
        List<PendingRequest> orphans;
        lock (gate)
        {
            if (terminalError is not null)
            {
                return;
            }
            terminalError = error;
            state = final;
            current = connection;
            connection = null;
            connectedSignal.TrySetResult();
            orphans = pipeline.DrainAll();
        }
        if (firstConnection.TrySetException(error()))
        {
            // Only ConnectAsync waits on it; once connected, nobody will, and that is fine.
            _ = firstConnection.Task.Exception;
        }
        lifetime.Cancel();
        current?.Abort();
        foreach (PendingRequest request in orphans)
        {
            request.Fail(error());
        }
        Notify(final);
        watches.Clear();
        events.Complete();
    }

    /// <summary>Tells every watcher (and the default watcher and <see cref="StateChanged"/>) about a session state change.</summary>
    private void Notify(KeeperState newState)
    {
        var change = new WatchedEvent(EventType.None, newState, null);
        var woken = new HashSet<Watcher>(watches.Materialize(EventType.None, null));
        if (options.DefaultWatcher is { } defaultWatcher)
        {
            woken.Add(defaultWatcher);
        }
        events.Dispatch(woken, change);
        events.Post(() => StateChanged?.Invoke(this, new SessionStateChangedEventArgs(newState)));
    }
}
