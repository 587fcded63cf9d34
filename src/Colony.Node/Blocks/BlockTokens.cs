using Colony.Core;
using Colony.Storage.Blocks.Transfer;

namespace Colony.Node.Blocks;

/// <summary>
/// Mints and checks block access tokens (<see cref="BlockAccessToken"/>) under the key every node derives from the
/// cluster secret: the leader mints them for callers the namespace authorized, a data node mints copy tokens for
/// its own replication, and the transfer server checks every request's token. Thread-safe.
/// </summary>
public sealed class BlockTokens
{
    private readonly byte[] _key;
    private readonly TimeProvider _time;

    public BlockTokens(byte[] clusterSecret, TimeSpan lifetime, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(clusterSecret);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lifetime, TimeSpan.Zero);
        _key = BlockAccessToken.DeriveKey(clusterSecret);
        Lifetime = lifetime;
        _time = time;
    }

    public TimeSpan Lifetime { get; }

    /// <summary>A token allowing <paramref name="mode"/> on <paramref name="version"/> for <paramref name="user"/>, valid for <see cref="Lifetime"/>.</summary>
    public string Mint(BlockVersion version, BlockAccessMode mode, string user) =>
        new BlockAccessToken(version, mode, user, _time.GetUtcNow().Add(Lifetime).ToUnixTimeMilliseconds()).Sign(_key);

    /// <summary>Whether <paramref name="token"/> allows one of <paramref name="allowed"/> on <paramref name="version"/> now.</summary>
    public BlockAccessVerdict Check(string token, BlockVersion version, ReadOnlySpan<BlockAccessMode> allowed) =>
        BlockAccessToken.Verify(_key, token, version, allowed, _time.GetUtcNow().ToUnixTimeMilliseconds());
}
