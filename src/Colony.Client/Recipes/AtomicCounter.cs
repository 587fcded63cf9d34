using System.Globalization;
using System.Text;
using Colony.Coordination;

namespace Colony.Client.Recipes;

/// <summary>
/// A shared integer, compatible with kazoo's <c>Counter</c> (integer default): the node's data is
/// the value as decimal ASCII, and empty data is the default. A change reads the value with its
/// version and writes it back only if the version still matches, retrying when someone else wrote
/// in between, so concurrent changes are never lost.
/// </summary>
public sealed class AtomicCounter
{
    private readonly ZooKeeperClient client;

    public AtomicCounter(ZooKeeperClient client, string path, long initialValue = 0)
    {
        ArgumentNullException.ThrowIfNull(client);
        ZooKeeperPath.Validate(path);
        this.client = client;
        Path = path;
        InitialValue = initialValue;
    }

    public string Path { get; }

    /// <summary>The value while the node is missing or empty (kazoo's default).</summary>
    public long InitialValue { get; }

    public async Task<long> GetAsync(CancellationToken cancellationToken = default) =>
        (await ReadAsync(cancellationToken).ConfigureAwait(false)).Value;

    /// <summary>Adds <paramref name="delta"/> (negative to subtract) and returns the values before and after this change.</summary>
    public async Task<(long Before, long After)> AddAsync(long delta, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            (long before, int version) = await ReadAsync(cancellationToken).ConfigureAwait(false);
            long after = checked(before + delta);
            try
            {
                await client.SetDataAsync(Path, Encoding.ASCII.GetBytes(after.ToString(CultureInfo.InvariantCulture)), version, cancellationToken).ConfigureAwait(false);
                return (before, after);
            }
            catch (BadVersionException)
            {
                // Someone changed it since we read it: read again.
            }
            catch (ConnectionLossException)
            {
                // Unknown whether our write applied; retrying could count twice, so say so.
                throw new ConnectionLossException($"The connection dropped while changing {Path}; the change may or may not have been applied.");
            }
        }
    }

    private async Task<(long Value, int Version)> ReadAsync(CancellationToken cancellationToken)
    {
        await RecipeOperations.EnsurePathAsync(client, Path, cancellationToken).ConfigureAwait(false);
        (byte[] data, Stat stat) = await RecipeOperations.RetryAsync(() => client.GetDataAsync(Path, watcher: null, cancellationToken), cancellationToken).ConfigureAwait(false);
        long value = data.Length == 0
            ? InitialValue
            : long.Parse(Encoding.ASCII.GetString(data), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        return (value, stat.Version);
    }
}
