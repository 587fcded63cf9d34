using Colony.Coordination;

namespace Colony.Client.Recipes;

/// <summary>
/// A held lock, read or write lock, semaphore lease or leadership: the ephemeral node that proves
/// it, its fencing token, and a token that fires if it is lost. Dispose (or
/// <see cref="ReleaseAsync"/>) to release it; releasing twice does nothing.
/// <para>
/// Losing the connection is not losing the hold: the client reconnects within the session timeout
/// and the node is still there. The hold is lost when the session ends (expired, closed, or
/// authentication failed), since the server then deletes the node, and, conservatively, once the
/// client has been disconnected for longer than the session timeout: by then the server has
/// expired the session, though the client only hears so when it reconnects.
/// </para>
/// </summary>
public sealed class LockHandle : IAsyncDisposable
{
    private readonly ZooKeeperClient client;
    private readonly CancellationTokenSource lost = new();
    private readonly object gate = new();
    private bool released;

    internal LockHandle(ZooKeeperClient client, string nodePath, long fencingToken)
    {
        this.client = client;
        NodePath = nodePath;
        FencingToken = fencingToken;
        LostToken = lost.Token;
        client.StateChanged += OnStateChanged;
        // The session may have changed state before we subscribed.
        Observe(client.State);
    }

    /// <summary>The ephemeral node that holds the lock.</summary>
    public string NodePath { get; }

    /// <summary>
    /// The zxid that created <see cref="NodePath"/> (its czxid). Holders of one lock acquire in the
    /// order their nodes were created, and zxids grow with every write to the whole tree, so each
    /// holder's token is greater than every earlier holder's, even if the lock node's parent was
    /// deleted and re-created in between. A resource that remembers the greatest token it has seen
    /// and rejects smaller ones turns away a holder that lost the lock without knowing it.
    /// </summary>
    public long FencingToken { get; }

    /// <summary>Cancelled when the hold is lost (see the class remarks). Releasing stops a pending disconnection deadline, so a released hold is not reported lost later.</summary>
    public CancellationToken LostToken { get; }

    public bool IsLost => LostToken.IsCancellationRequested;

    public bool IsReleased
    {
        get
        {
            lock (gate)
            {
                return released;
            }
        }
    }

    /// <summary>
    /// Deletes the node, retrying across connection loss. Idempotent. When the session is already
    /// gone there is nothing to delete: the server removed the node with the session. A hold
    /// already lost returns at once and deletes its node in the background, if it is still there.
    /// </summary>
    public async Task ReleaseAsync(CancellationToken cancellationToken = default)
    {
        bool wasLost;
        lock (gate)
        {
            if (released)
            {
                return;
            }
            released = true;
            wasLost = lost.IsCancellationRequested;
            // Stop a pending disconnection deadline: a released hold is never reported lost.
            lost.CancelAfter(Timeout.InfiniteTimeSpan);
        }
        client.StateChanged -= OnStateChanged;
        if (wasLost)
        {
            // Most likely the node went with the session; if the session survived after all, the
            // delete goes through once the client reconnects. Either way, do not wait for it.
            _ = DeleteInBackgroundAsync();
            return;
        }
        await RecipeOperations.DeleteQuietlyAsync(client, NodePath, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => new(ReleaseAsync());

    public override string ToString() => $"LockHandle({NodePath}, token {FencingToken}{(IsLost ? ", lost" : "")})";

    private async Task DeleteInBackgroundAsync()
    {
        try
        {
            await RecipeOperations.DeleteQuietlyAsync(client, NodePath, CancellationToken.None).ConfigureAwait(false);
        }
        catch (ZooKeeperException)
        {
            // Nothing more to do: the session's end removes the node anyway.
        }
    }

    private void OnStateChanged(object? sender, SessionStateChangedEventArgs e) => Observe(e.State);

    private void Observe(KeeperState state)
    {
        lock (gate)
        {
            if (released || lost.IsCancellationRequested)
            {
                return;
            }
            switch (state)
            {
                case KeeperState.Expired or KeeperState.Closed or KeeperState.AuthFailed:
                    // Cancelling runs the callbacks; do it outside the lock below.
                    break;
                case KeeperState.Disconnected:
                    lost.CancelAfter(client.SessionTimeout);
                    return;
                case KeeperState.SyncConnected or KeeperState.ConnectedReadOnly:
                    lost.CancelAfter(Timeout.InfiniteTimeSpan);
                    return;
                default:
                    return;
            }
        }
        lost.Cancel();
    }
}
