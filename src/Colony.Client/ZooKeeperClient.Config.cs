using Colony.Coordination;
using Colony.Coordination.Protocol;

namespace Colony.Client;

// The ensemble's configuration: ZooKeeper's getConfig and reconfig.
public sealed partial class ZooKeeperClient
{
    /// <summary>Where the server keeps the ensemble's configuration; outside any chroot.</summary>
    public const string ConfigPath = "/zookeeper/config";

    /// <summary>
    /// The ensemble's configuration, as ZooKeeper's getConfig returns it: <c>server.N=…</c> lines and
    /// <c>version=</c> with the config's version in hex. With <paramref name="watch"/>, the default
    /// watcher hears of the next change.
    /// </summary>
    public Task<(byte[] Data, Stat Stat)> GetConfigAsync(bool watch = false, CancellationToken cancellationToken = default) =>
        GetConfigAsync(DefaultWatcherIf(watch), cancellationToken);

    /// <summary>The ensemble's configuration; <paramref name="watcher"/> (if any) fires once when it changes.</summary>
    public Task<(byte[] Data, Stat Stat)> GetConfigAsync(Watcher? watcher, CancellationToken cancellationToken = default) =>
        SendAsync(OpCode.GetData, new GetDataRequest(ConfigPath, watcher is not null), (in ReplyHeader header, ReadOnlySpan<byte> body) =>
        {
            var response = Decode<GetDataResponse>(header, body, ConfigPath);
            Watch(WatchKind.Data, ConfigPath, watcher);
            return (response.Data ?? [], response.Stat);
        }, cancellationToken);

    /// <summary>
    /// Changes the ensemble (ZooKeeper's reconfig): <paramref name="joiningServers"/> and
    /// <paramref name="leavingServers"/> (comma-separated <c>server.N=…</c> specs and ids) change it
    /// incrementally; <paramref name="newMembers"/> replaces it. <paramref name="fromConfig"/> is the
    /// version it must still be at, -1 for any. Returns the new configuration.
    /// </summary>
    public Task<(byte[] Data, Stat Stat)> ReconfigAsync(string? joiningServers, string? leavingServers, string? newMembers, long fromConfig = -1, CancellationToken cancellationToken = default) =>
        SendAsync(OpCode.Reconfig, new ReconfigRequest(joiningServers, leavingServers, newMembers, fromConfig), (in ReplyHeader header, ReadOnlySpan<byte> body) =>
        {
            var response = Decode<GetDataResponse>(header, body, ConfigPath);
            return (response.Data ?? [], response.Stat);
        }, cancellationToken);
}
