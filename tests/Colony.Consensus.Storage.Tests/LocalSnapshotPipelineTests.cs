using Colony.Consensus;
using Colony.Consensus.KeyValue;
using Colony.Consensus.StateMachine;
using Colony.Testing.Storage;

namespace Colony.Consensus.Storage.Tests;

/// <summary>
/// A replica's local snapshot runs its slow steps off the replica's thread (here: whenever the test
/// runs them) while proposals go on committing; the log is compacted only once the file is durable,
/// and a crash at any step leaves a disk the replica recovers everything from.
/// </summary>
public class LocalSnapshotPipelineTests
{
    private static readonly string Value = new('v', 100);

    /// <summary>Writes keys until a snapshot starts; returns how many keys were written.</summary>
    private static int PutUntilSnapshotStarts(ReplicaOnDisk node, int from)
    {
        int k = from;
        while (!node.Replica.SnapshotInFlight)
        {
            node.Put($"k{k++}", Value);
            Assert.True(k < from + 1000, "no snapshot started");
        }
        return k;
    }

    /// <summary>Runs every held step, then the cycle that notices it.</summary>
    private static void FinishSnapshot(ReplicaOnDisk node)
    {
        while (node.Replica.SnapshotInFlight)
        {
            node.Scheduler.RunNext();
            node.RunCycles();
        }
    }

    private static int KeysIn(Snapshot snapshot)
    {
        var keyValue = new KeyValueModule();
        new CompositeStateMachine(keyValue).Restore(new MemoryStream(snapshot.Data.ToArray()));
        return keyValue.Count;
    }

    [Fact]
    public void Proposals_commit_while_a_snapshot_is_serialized_and_written_and_it_holds_the_state_at_its_capture()
    {
        using var node = new ReplicaOnDisk(snapshotEveryEntries: 20);
        int k = PutUntilSnapshotStarts(node, 0);
        ulong captured = node.Replica.Node.AppliedIndex;
        int keysAtCapture = node.KeyValue.Count;

        for (int i = 0; i < 50; i++)
        {
            node.Put($"k{k++}", Value);
        }
        Assert.Equal(captured + 50, node.Replica.Node.AppliedIndex);
        Assert.Equal(1, node.Scheduler.Scheduled); // one snapshot at a time, though 50 > 20 entries went by

        node.Scheduler.RunNext(); // serialize
        node.RunCycles();
        Assert.Equal(captured, node.Replica.Node.LatestSnapshot.Index);
        Assert.Empty(node.Files(".snap"));
        node.Put($"k{k++}", Value);

        node.Scheduler.RunNext(); // write, fsync, rename
        Assert.Equal(0ul, node.Replica.CommittedSnapshotIndex);
        node.Put($"k{k++}", Value);
        Assert.Equal(captured, node.Replica.CommittedSnapshotIndex);

        node.CrashAndRestart();
        Assert.Equal(captured, node.Recovered.Snapshot.Metadata.Index);
        Assert.Equal(keysAtCapture, KeysIn(node.Recovered.Snapshot));
        Assert.Equal(k, node.KeyValue.Count);
    }

    [Fact]
    public void The_log_is_compacted_only_once_the_snapshot_file_is_durable()
    {
        using var node = new ReplicaOnDisk(snapshotEveryEntries: 20);
        PutUntilSnapshotStarts(node, 0);
        var segments = node.Files(".wal");
        Assert.True(segments.Count >= 3, $"only {segments.Count} segments");

        node.Scheduler.RunNext(); // serialize; the core compacts its in-memory log
        node.RunCycles();
        Assert.Equal(segments, node.Files(".wal"));

        node.Scheduler.RunNext(); // the file is durable, but the replica has not noticed yet
        Assert.Single(node.Files(".snap"));
        Assert.Equal(segments, node.Files(".wal"));

        node.RunCycles();
        Assert.DoesNotContain(segments[0], node.Files(".wal"));
    }

    [Fact]
    public void A_crash_at_any_step_of_a_snapshot_loses_nothing()
    {
        // Crash before serializing, after serializing, and after the file is durable but not committed.
        for (int crashAfterSteps = 0; crashAfterSteps <= 2; crashAfterSteps++)
        {
            using var node = new ReplicaOnDisk(snapshotEveryEntries: 20);
            int k = PutUntilSnapshotStarts(node, 0);
            FinishSnapshot(node);
            ulong first = node.Replica.CommittedSnapshotIndex;
            k = PutUntilSnapshotStarts(node, k);
            ulong second = node.Replica.Node.AppliedIndex;
            if (crashAfterSteps >= 1)
            {
                node.Scheduler.RunNext(); // serialized; the next cycle hands it to the core and schedules the write
                node.Put($"k{k++}", Value);
            }
            if (crashAfterSteps >= 2)
            {
                node.Scheduler.RunNext(); // durable, not yet committed
            }
            Assert.True(node.Replica.SnapshotInFlight);

            node.CrashAndRestart();

            Assert.Equal(crashAfterSteps == 2 ? second : first, node.Recovered.Snapshot.Metadata.Index);
            Assert.Equal(k, node.KeyValue.Count);
            Assert.Empty(node.Files(".tmp"));
        }
    }

    [Fact]
    public void A_snapshot_file_that_cannot_be_written_stops_the_replica_and_the_disk_keeps_the_previous_snapshot()
    {
        using var node = new ReplicaOnDisk(snapshotEveryEntries: 20);
        int k = PutUntilSnapshotStarts(node, 0);
        FinishSnapshot(node);
        ulong first = node.Replica.CommittedSnapshotIndex;
        k = PutUntilSnapshotStarts(node, k);
        node.Scheduler.RunNext(); // serialize
        node.RunCycles();
        node.FileSystem.FailWhen = (operation, _) => operation == SimFileOperation.Rename;

        node.Scheduler.RunNext(); // the write fails: the step records it instead of throwing on its thread

        var failure = Assert.Throws<InvalidOperationException>(node.RunCycles);
        Assert.IsType<IOException>(failure.InnerException);
        node.FileSystem.FailWhen = null;
        node.CrashAndRestart();
        Assert.Equal(first, node.Recovered.Snapshot.Metadata.Index);
        Assert.Equal(k, node.KeyValue.Count);
        Assert.Empty(node.Files(".tmp"));
    }
}
