using Colony.Client.Blocks;
using Colony.Core;
using Colony.Node.Blocks;
using Colony.Node.Tests.Peers;
using Colony.Storage.Blocks.Transfer;

namespace Colony.Node.Tests.Blocks;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class PipelineTests
{
    private static BlockVersion Block(ulong id, ulong stamp = 1) => new(new BlockId(id), new GenerationStamp(stamp));

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(511)]
    [InlineData(512)]
    [InlineData(513)]
    [InlineData(2048)]
    [InlineData(2049)]
    [InlineData(5 * 512)]
    [InlineData(20000)]
    public async Task A_three_node_pipeline_write_reads_back_identically_from_every_replica(int size)
    {
        await using var nodes = TestNodes.Start(3);
        byte[] data = TestNodes.Data(size, seed: size);
        BlockVersion block = Block(7);

        long length = await Wait.ForAsync(nodes.Client.WriteBlockAsync(nodes.Pipeline(0, 1, 2), block, new MemoryStream(data)));

        Assert.Equal(size, length);
        for (int node = 0; node < 3; node++)
        {
            Assert.Equal(data, await nodes.ReadAsync(node, block, 0, size));
            ReplicaInfo replica = Assert.Single(nodes.Stores[node].Report());
            Assert.Equal(new ReplicaInfo(block, size, ReplicaState.Finalized), replica);
        }
    }

    [Fact]
    public async Task The_last_ack_means_every_replica_is_finalized_and_reported()
    {
        await using var nodes = TestNodes.Start(3);
        BlockVersion block = Block(8);

        await Wait.ForAsync(nodes.Client.WriteBlockAsync(nodes.Pipeline(2, 0, 1), block, new MemoryStream(TestNodes.Data(3000))));

        foreach (BlockStore store in nodes.Stores)
        {
            // Finalized before the ack left: the delta is already there, no waiting.
            Assert.True(store.Deltas.TryRead(out ReplicaDelta delta));
            Assert.Equal(new ReplicaDelta(ReplicaChange.Received, block, 3000), delta);
            Assert.Equal(0, store.TransfersInFlight);
        }
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(511, 2)]
    [InlineData(700, 1000)]
    [InlineData(1023, 3000)]
    [InlineData(4999, 1)]
    [InlineData(2500, 0)]
    [InlineData(5000, 0)]
    [InlineData(0, 5000)]
    public async Task Ranged_reads_at_odd_offsets_return_exactly_the_range(int offset, int length)
    {
        await using var nodes = TestNodes.Start(1);
        byte[] data = TestNodes.Data(5000);
        BlockVersion block = Block(9);
        await Wait.ForAsync(nodes.Client.WriteBlockAsync(nodes.Pipeline(0), block, new MemoryStream(data)));

        Assert.Equal(data.AsSpan(offset, length).ToArray(), await nodes.ReadAsync(0, block, offset, length));
    }

    [Fact]
    public async Task A_read_past_the_end_a_missing_block_and_a_stale_stamp_are_typed_errors()
    {
        await using var nodes = TestNodes.Start(1);
        BlockVersion block = Block(10, stamp: 4);
        await Wait.ForAsync(nodes.Client.WriteBlockAsync(nodes.Pipeline(0), block, new MemoryStream(TestNodes.Data(1000))));

        var pastEnd = await Assert.ThrowsAsync<ReplicaUnavailableException>(() => nodes.ReadAsync(0, block, 900, 101));
        Assert.Equal(TransferStatus.InvalidRequest, pastEnd.Status);
        var missing = await Assert.ThrowsAsync<ReplicaUnavailableException>(() => nodes.ReadAsync(0, Block(11), 0, 1));
        Assert.Equal(TransferStatus.BlockNotFound, missing.Status);
        var stale = await Assert.ThrowsAsync<ReplicaUnavailableException>(() => nodes.ReadAsync(0, Block(10, stamp: 5), 0, 1));
        Assert.Equal(TransferStatus.StaleStamp, stale.Status);
        Assert.Equal(nodes.Address(0), stale.Node);
    }

    [Fact]
    public async Task A_node_dying_mid_read_is_a_typed_unavailable_error()
    {
        await using var nodes = TestNodes.Start(1);
        // More than loopback socket buffers hold, so the node is still sending when it dies.
        byte[] data = TestNodes.Data(24 << 20);
        BlockVersion block = Block(23);
        await Wait.ForAsync(nodes.Client.WriteBlockAsync(nodes.Pipeline(0), block, new MemoryStream(data)));
        var destination = new StallingStream();
        Task read = nodes.Client.ReadBlockAsync(nodes.Address(0), block, 0, data.Length, destination);
        await Wait.ForAsync(destination.FirstWrite);

        await nodes.StopAsync(0);
        destination.Release();

        var e = await Assert.ThrowsAsync<ReplicaUnavailableException>(() => Wait.ForAsync(read));
        Assert.Equal(TransferStatus.Unreachable, e.Status);
    }

    [Fact]
    public async Task A_corrupted_byte_on_disk_fails_the_read_with_a_checksum_mismatch()
    {
        await using var nodes = TestNodes.Start(2);
        byte[] data = TestNodes.Data(4000);
        BlockVersion block = Block(12);
        await Wait.ForAsync(nodes.Client.WriteBlockAsync(nodes.Pipeline(0, 1), block, new MemoryStream(data)));
        BlockStoreTests.FlipByte(nodes.Stores[0], block, 2600);

        var e = await Assert.ThrowsAsync<ChecksumMismatchException>(() => nodes.ReadAsync(0, block, 0, 4000));
        Assert.Equal(2560, e.Offset);
        Assert.Equal(nodes.Address(0), e.Node);
        // The chunks before the bad one still read, and the other replica is whole.
        Assert.Equal(data.AsSpan(0, 2560).ToArray(), await nodes.ReadAsync(0, block, 0, 2560));
        Assert.Equal(data, await nodes.ReadAsync(1, block, 0, 4000));
    }

    [Fact]
    public async Task A_node_dying_mid_write_is_named_and_the_survivors_resume_under_a_new_stamp()
    {
        await using var nodes = TestNodes.Start(3);
        byte[] data = TestNodes.Data(40 * 512);
        BlockVersion first = Block(13, stamp: 1);
        // With a window of 4, the gate at 8 packets is reached only after packets 0–3 were acked.
        int packet = TestNodes.SmallPackets.PacketSize;
        var source = new GatedStream(data, gate: 8 * packet);
        Task<long> write = nodes.Client.WriteBlockAsync(nodes.Pipeline(0, 1, 2), first, source);
        await Wait.ForAsync(source.Reached);
        string dead = nodes.Address(2);
        await nodes.StopAsync(2);
        source.Open();

        var failure = await Assert.ThrowsAsync<PipelineFailedException>(() => Wait.ForAsync(write));
        Assert.Equal(2, failure.FailedIndex);
        Assert.Equal(dead, failure.Node);
        Assert.Equal(TransferStatus.Unreachable, failure.Status);
        Assert.InRange(failure.AckedLength, 4 * packet, 8 * packet);
        Assert.Equal(0, failure.AckedLength % 512);

        BlockVersion second = Block(13, stamp: 2);
        var rest = new MemoryStream(data) { Position = failure.AckedLength };
        long length = await Wait.ForAsync(nodes.Client.WriteBlockAsync(nodes.Pipeline(0, 1), second, rest, startOffset: failure.AckedLength));

        Assert.Equal(data.Length, length);
        Assert.Equal(data, await nodes.ReadAsync(0, second, 0, data.Length));
        Assert.Equal(data, await nodes.ReadAsync(1, second, 0, data.Length));
        var stale = await Assert.ThrowsAsync<ReplicaUnavailableException>(() => nodes.ReadAsync(0, first, 0, 1));
        Assert.Equal(TransferStatus.StaleStamp, stale.Status);

        // The dead node comes back with its old being-written replica: a read under the new stamp is refused.
        nodes.Restart(2);
        var behind = await Assert.ThrowsAsync<ReplicaUnavailableException>(() => nodes.ReadAsync(2, second, 0, 1));
        Assert.Equal(TransferStatus.StaleStamp, behind.Status);
        Assert.Equal(ReplicaState.BeingWritten, Assert.Single(nodes.Stores[2].Report()).State);
    }

    [Fact]
    public async Task Recovery_revokes_an_old_pipeline_that_is_still_connected()
    {
        await using var nodes = TestNodes.Start(2);
        byte[] data = TestNodes.Data(40 * 512);
        int packet = TestNodes.SmallPackets.PacketSize;
        var stuck = new GatedStream(data, gate: 8 * packet);
        Task<long> old = nodes.Client.WriteBlockAsync(nodes.Pipeline(0, 1), Block(22, 1), stuck);
        await Wait.ForAsync(stuck.Reached);

        // Packets 0–3 are acked (window of 4); the new pipeline resumes there while the old one still holds the replicas.
        var rest = new MemoryStream(data) { Position = 4 * packet };
        long length = await Wait.ForAsync(nodes.Client.WriteBlockAsync(nodes.Pipeline(1, 0), Block(22, 2), rest, startOffset: 4 * packet));

        Assert.Equal(data.Length, length);
        Assert.Equal(data, await nodes.ReadAsync(0, Block(22, 2), 0, data.Length));
        Assert.Equal(data, await nodes.ReadAsync(1, Block(22, 2), 0, data.Length));
        stuck.Open();
        await Assert.ThrowsAsync<PipelineFailedException>(() => Wait.ForAsync(old));
        Assert.Equal(data, await nodes.ReadAsync(1, Block(22, 2), 0, data.Length));
    }

    [Fact]
    public async Task Recovery_can_resume_replicas_that_were_already_finalized_under_the_old_stamp()
    {
        await using var nodes = TestNodes.Start(2);
        byte[] data = TestNodes.Data(3000);
        await Wait.ForAsync(nodes.Client.WriteBlockAsync(nodes.Pipeline(0, 1), Block(14, 1), new MemoryStream(data)));

        // As if the last ack had been lost: the writer resumes from an earlier acked offset with a new stamp.
        var rest = new MemoryStream(data) { Position = 1024 };
        await Wait.ForAsync(nodes.Client.WriteBlockAsync(nodes.Pipeline(1, 0), Block(14, 2), rest, startOffset: 1024));

        Assert.Equal(data, await nodes.ReadAsync(0, Block(14, 2), 0, 3000));
        Assert.Equal(data, await nodes.ReadAsync(1, Block(14, 2), 0, 3000));
        Assert.Equal(new ReplicaInfo(Block(14, 2), 3000, ReplicaState.Finalized), Assert.Single(nodes.Stores[0].Report()));
    }

    [Fact]
    public async Task Resuming_beyond_what_a_node_received_or_with_an_old_stamp_is_refused()
    {
        await using var nodes = TestNodes.Start(1);
        await Wait.ForAsync(nodes.Client.WriteBlockAsync(nodes.Pipeline(0), Block(15, 3), new MemoryStream(TestNodes.Data(1024))));

        var beyond = await Assert.ThrowsAsync<PipelineFailedException>(() =>
            nodes.Client.WriteBlockAsync(nodes.Pipeline(0), Block(15, 4), new MemoryStream(new byte[10]), startOffset: 1536));
        Assert.Equal(TransferStatus.InvalidRequest, beyond.Status);
        var old = await Assert.ThrowsAsync<PipelineFailedException>(() =>
            nodes.Client.WriteBlockAsync(nodes.Pipeline(0), Block(15, 3), new MemoryStream(new byte[10]), startOffset: 512));
        Assert.Equal(TransferStatus.InvalidRequest, old.Status);
        Assert.Equal(new ReplicaInfo(Block(15, 3), 1024, ReplicaState.Finalized), Assert.Single(nodes.Stores[0].Report()));
    }

    [Fact]
    public async Task An_unreachable_downstream_fails_the_setup_naming_it()
    {
        await using var nodes = TestNodes.Start(3);
        string dead = nodes.Address(1);
        await nodes.StopAsync(1);

        var e = await Assert.ThrowsAsync<PipelineFailedException>(() =>
            Wait.ForAsync(nodes.Client.WriteBlockAsync([nodes.Address(0), dead, nodes.Address(2)], Block(16), new MemoryStream(TestNodes.Data(100)))));

        Assert.Equal(1, e.FailedIndex);
        Assert.Equal(dead, e.Node);
        Assert.Equal(TransferStatus.Unreachable, e.Status);
        Assert.Empty(nodes.Stores[0].Report());
    }

    [Fact]
    public async Task A_full_disk_downstream_is_a_clean_DiskFull_and_no_replica_is_left()
    {
        await using var nodes = TestNodes.Start(3, (i, options) => i == 1
            ? new BlockStoreOptions { Directory = options.Directory, ReserveBytes = long.MaxValue / 2 }
            : options);

        var e = await Assert.ThrowsAsync<PipelineFailedException>(() =>
            Wait.ForAsync(nodes.Client.WriteBlockAsync(nodes.Pipeline(0, 1, 2), Block(17), new MemoryStream(TestNodes.Data(5000)))));

        Assert.Equal(1, e.FailedIndex);
        Assert.Equal(TransferStatus.DiskFull, e.Status);
        Assert.Contains("reserve", e.Message, StringComparison.Ordinal);
        Assert.All(nodes.Stores, store => Assert.Empty(store.Report()));
        Assert.Empty(Directory.EnumerateFiles(nodes.Stores[0].RbwDirectory));
    }

    [Fact]
    public async Task A_disk_filling_up_mid_write_fails_cleanly_and_the_store_stays_healthy()
    {
        BlockVersion doomed = Block(18);
        await using var nodes = TestNodes.Start(2, (i, options) => i == 1
            ? new BlockStoreOptions
            {
                Directory = options.Directory,
                ReserveBytes = 0,
                WriteFault = (version, offset) => version == doomed && offset >= 4096 ? new IOException("No space left on device", 28) : null,
            }
            : options);

        var e = await Assert.ThrowsAsync<PipelineFailedException>(() =>
            Wait.ForAsync(nodes.Client.WriteBlockAsync(nodes.Pipeline(0, 1), doomed, new MemoryStream(TestNodes.Data(10000)))));

        Assert.Equal(1, e.FailedIndex);
        Assert.Equal(TransferStatus.DiskFull, e.Status);
        Assert.Empty(nodes.Stores[1].Report());
        Assert.Empty(Directory.EnumerateFiles(nodes.Stores[1].RbwDirectory));
        Assert.Empty(Directory.EnumerateFiles(nodes.Stores[1].FinalizedDirectory, "*", SearchOption.AllDirectories));

        byte[] data = TestNodes.Data(10000, seed: 2);
        await Wait.ForAsync(nodes.Client.WriteBlockAsync(nodes.Pipeline(1, 0), Block(19), new MemoryStream(data)));
        Assert.Equal(data, await nodes.ReadAsync(1, Block(19), 0, data.Length));
    }

    [Fact]
    public async Task Copy_streams_a_replica_to_another_node_under_a_bandwidth_cap()
    {
        await using var nodes = TestNodes.Start(2);
        byte[] data = TestNodes.Data(300_000);
        BlockVersion block = Block(20);
        await Wait.ForAsync(nodes.Client.WriteBlockAsync(nodes.Pipeline(0), block, new MemoryStream(data)));
        var replicator = new BlockReplicator(nodes.Stores[0], nodes.Client, bytesPerSecond: 4 * 1024 * 1024, TimeProvider.System);

        long copied = await Wait.ForAsync(replicator.CopyAsync(block, nodes.Address(1)));

        Assert.Equal(data.Length, copied);
        Assert.Equal(data, await nodes.ReadAsync(1, block, 0, data.Length));
        Assert.Equal(new ReplicaInfo(block, data.Length, ReplicaState.Finalized), Assert.Single(nodes.Stores[1].Report()));
        Assert.Equal(0, nodes.Stores[0].TransfersInFlight);
    }

    [Fact]
    public async Task A_corrupt_source_is_not_copied_and_is_marked_corrupt()
    {
        await using var nodes = TestNodes.Start(2);
        BlockVersion block = Block(21);
        await Wait.ForAsync(nodes.Client.WriteBlockAsync(nodes.Pipeline(0), block, new MemoryStream(TestNodes.Data(5000))));
        BlockStoreTests.FlipByte(nodes.Stores[0], block, 4000);
        var replicator = new BlockReplicator(nodes.Stores[0], nodes.Client, BlockReplicator.DefaultBytesPerSecond, TimeProvider.System);

        var e = await Assert.ThrowsAsync<BlockStoreException>(() => Wait.ForAsync(replicator.CopyAsync(block, nodes.Address(1))));

        Assert.Equal(TransferStatus.Corrupt, e.Status);
        Assert.Equal(ReplicaState.Corrupt, Assert.Single(nodes.Stores[0].Report()).State);
        Assert.DoesNotContain(nodes.Stores[1].Report(), r => r.State == ReplicaState.Finalized);
    }
}

/// <summary>A destination whose first write waits until the test releases it.</summary>
internal sealed class StallingStream : MemoryStream
{
    private readonly TaskCompletionSource _first = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task FirstWrite => _first.Task;

    public void Release() => _release.TrySetResult();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _first.TrySetResult();
        await _release.Task.WaitAsync(cancellationToken);
        await base.WriteAsync(buffer, cancellationToken);
    }
}
