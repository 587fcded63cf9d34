namespace Colony.Cli.Tests;

public sealed class ClusterLockTests : IDisposable
{
    private readonly TemporaryDirectory directory = new();

    public void Dispose() => directory.Dispose();

    [Fact]
    public async Task Only_one_command_changes_a_cluster_at_a_time()
    {
        var layout = new ClusterLayout(directory.Combine("cluster"));
        var time = TimeProvider.System;

        using (await ClusterLock.AcquireAsync(layout, create: true, time, TimeSpan.FromSeconds(1), CancellationToken.None))
        {
            var busy = await Assert.ThrowsAsync<CliError>(() => ClusterLock.AcquireAsync(layout, create: true, time, TimeSpan.FromMilliseconds(200), CancellationToken.None));
            Assert.StartsWith("another colony command is changing the cluster", busy.Message, StringComparison.Ordinal);
        }

        using var again = await ClusterLock.AcquireAsync(layout, create: true, time, TimeSpan.FromSeconds(1), CancellationToken.None);
    }

    [Fact]
    public async Task Without_create_a_missing_cluster_is_an_error_and_nothing_is_created()
    {
        var layout = new ClusterLayout(directory.Combine("absent"));

        await Assert.ThrowsAsync<CliError>(() => ClusterLock.AcquireAsync(layout, create: false, TimeProvider.System, TimeSpan.FromSeconds(1), CancellationToken.None));

        Assert.False(Directory.Exists(layout.Directory));
    }
}
