namespace Colony.Client.Recipes;

/// <summary>
/// Leadership won by <see cref="LeaderElection.CampaignAsync"/>. Watch <see cref="LostToken"/>:
/// it fires when the session ends or the client has been disconnected for longer than the session
/// timeout, after which another contender may already lead. Resign (or dispose) to hand over.
/// </summary>
public sealed class Leadership : IAsyncDisposable
{
    private readonly LockHandle hold;

    internal Leadership(LockHandle hold)
    {
        this.hold = hold;
    }

    /// <summary>The leader's node in the election's queue.</summary>
    public string NodePath => hold.NodePath;

    /// <summary>Greater than every earlier leader's token: pass it with every write a leader makes, so stale leaders can be refused (see <see cref="LockHandle.FencingToken"/>).</summary>
    public long FencingToken => hold.FencingToken;

    public CancellationToken LostToken => hold.LostToken;

    public bool IsLost => hold.IsLost;

    /// <summary>Steps down: the next contender in line becomes leader. Idempotent.</summary>
    public Task ResignAsync(CancellationToken cancellationToken = default) => hold.ReleaseAsync(cancellationToken);

    public ValueTask DisposeAsync() => hold.DisposeAsync();

    public override string ToString() => $"Leadership({NodePath}, token {FencingToken}{(IsLost ? ", lost" : "")})";
}
