using Colony.Core;
using Colony.Node.Blocks;
using Colony.Node.Tests.Peers;
using Colony.Storage.Blocks.Transfer;

namespace Colony.Node.Tests.Blocks;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ScrubberTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("colony-scrub-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static BlockVersion Block(ulong id) => new(new BlockId(id), new GenerationStamp(1));

    private BlockStore Open() => BlockStore.Open(new BlockStoreOptions { Directory = _directory, ReserveBytes = 0 });

    [Fact]
    public async Task A_flipped_byte_on_disk_is_found_without_any_read()
    {
        using BlockStore store = Open();
        for (ulong id = 1; id <= 3; id++)
        {
            await BlockStoreTests.WriteAsync(store, Block(id), TestNodes.Data(3000, (int)id));
        }
        BlockStoreTests.FlipByte(store, Block(2), 1234);
        var scrubber = new BlockScrubber(store, new ScrubberOptions(), TimeProvider.System);
        var raised = new List<CorruptReplica>();
        scrubber.CorruptReplicaFound += raised.Add;

        IReadOnlyList<CorruptReplica> found = await scrubber.ScrubPassAsync();

        CorruptReplica corrupt = Assert.Single(found);
        Assert.Equal(Block(2), corrupt.Version);
        Assert.Contains("chunk 2", corrupt.Reason, StringComparison.Ordinal);
        Assert.Equal(found, raised);
        // Replica 2 stopped at its bad chunk (the pieces are 1 MiB, so none of it counts); 1 and 3 were read whole.
        Assert.Equal(6000, scrubber.BytesVerified);
        Assert.Equal(ReplicaState.Corrupt, store.Report().Single(r => r.Version == Block(2)).State);
        Assert.Equal(TransferStatus.Corrupt, Assert.Throws<BlockStoreException>(() => store.OpenRead(Block(2))).Status);
        Assert.True(store.Deltas.TryRead(out _));

        // A second pass skips the known-corrupt replica and finds nothing new.
        Assert.Empty(await scrubber.ScrubPassAsync());
    }

    [Fact]
    public async Task The_scrubber_walks_replicas_in_id_order_at_the_configured_rate()
    {
        using BlockStore store = Open();
        const int MiB = 1024 * 1024;
        foreach (ulong id in new ulong[] { 30, 10, 20 })
        {
            await BlockStoreTests.WriteAsync(store, Block(id), TestNodes.Data(MiB, (int)id));
        }
        BlockStoreTests.FlipByte(store, Block(30), MiB - 1);
        var time = new ManualTimeProvider();
        var scrubber = new BlockScrubber(store, new ScrubberOptions { BytesPerSecond = MiB }, time);
        var found = new TaskCompletionSource<CorruptReplica>(TaskCreationOptions.RunContinuationsAsynchronously);
        scrubber.CorruptReplicaFound += corrupt => found.TrySetResult(corrupt);
        using var stop = new CancellationTokenSource();
        Task running = scrubber.RunAsync(stop.Token);

        // One second's worth of bytes passes at once (replica 10); each later MiB waits a second of the clock.
        await time.WaitForTimerAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(MiB, scrubber.BytesVerified);
        time.Advance(TimeSpan.FromSeconds(1));
        await time.WaitForTimerAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(2 * MiB, scrubber.BytesVerified);
        Assert.False(found.Task.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(Block(30), (await Wait.ForAsync(found.Task)).Version);
        await stop.CancelAsync();
        await Wait.ForAsync(running);
    }
}

public sealed class TokenBucketTests
{
    [Fact]
    public async Task The_burst_passes_at_once_and_the_rest_waits_for_the_clock()
    {
        var time = new ManualTimeProvider();
        var bucket = new TokenBucket(bytesPerSecond: 1000, time, burstBytes: 1000);

        await bucket.TakeAsync(1000).AsTask().WaitAsync(Wait.Timeout);
        Task next = bucket.TakeAsync(500).AsTask();
        await time.WaitForTimerAsync(TimeSpan.FromMilliseconds(500));
        Assert.False(next.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(500));
        await next.WaitAsync(Wait.Timeout);

        // Idle time refills the bucket, but never beyond the burst.
        time.Advance(TimeSpan.FromSeconds(10));
        await bucket.TakeAsync(1000).AsTask().WaitAsync(Wait.Timeout);
        Task over = bucket.TakeAsync(1).AsTask();
        Assert.False(over.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await over.WaitAsync(Wait.Timeout);
    }

    [Fact]
    public void Bad_rates_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenBucket(0, TimeProvider.System));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenBucket(10, TimeProvider.System, burstBytes: 0));
    }
}
