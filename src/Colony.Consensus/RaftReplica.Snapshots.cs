using Colony.Core;

namespace Colony.Consensus;

/// <remarks>
/// <para>
/// <b>Local snapshots in three steps, one in flight at a time.</b> Only the first runs on the replica's
/// thread, so a large state does not stall ticks and replication:
/// </para>
/// <list type="number">
/// <item>at the end of a cycle, capture the state machine at the applied index (cheap: see
/// <see cref="IStateMachine.CaptureSnapshot"/>), then serialize the capture on the scheduler;</item>
/// <item>back on the replica's thread, hand the bytes to the core (<see cref="RaftNode.Compact"/>, which
/// may now send them to slow followers and trims its in-memory log), then write and fsync the file on the
/// scheduler (<see cref="ISnapshotSave.Write"/>), while the log keeps every entry;</item>
/// <item>back on the replica's thread, only now that the file is durable, let the store drop the log
/// before it (<see cref="ISnapshotSave.Commit"/>).</item>
/// </list>
/// <para>
/// A crash at any point leaves the previous snapshot and the whole log after it on disk. A snapshot
/// received from the leader meanwhile supersedes the local one: the core or the store then ignores it.
/// The replica notices the end of a step at its next cycle (<see cref="BeginCycle"/> looks even when
/// the core has nothing to do).
/// </para>
/// </remarks>
public sealed partial class RaftReplica
{
    private LocalSnapshot? _localSnapshot;
    private ulong _snapshotIndex; // the last snapshot taken, restored or recovered: the next one counts from here
    private long _lastSnapshotBytes;
    private long _appliedBytesSinceSnapshot;

    /// <summary>True while a local snapshot is being serialized or written.</summary>
    public bool SnapshotInFlight => _localSnapshot is not null;

    /// <summary>The index of the last local snapshot the store committed (durable, log compacted), 0 if none yet.</summary>
    public ulong CommittedSnapshotIndex { get; private set; }

    private void MaybeSnapshot()
    {
        if (_localSnapshot is not null)
        {
            return;
        }
        ulong applied = Node.AppliedIndex;
        if (applied - _snapshotIndex < _options.SnapshotEveryEntries
            || _appliedBytesSinceSnapshot < _options.SnapshotLogBytesRatio * _lastSnapshotBytes)
        {
            return;
        }
        if (applied <= Node.LatestSnapshot.Index)
        {
            // A snapshot received from the leader already covers it (it may still be on its way to disk).
            _snapshotIndex = Math.Max(_snapshotIndex, applied);
            return;
        }
        var job = new LocalSnapshot(applied, _stateMachine.CaptureSnapshot(), EstimateBytes());
        _localSnapshot = job;
        _snapshotIndex = applied;
        _appliedBytesSinceSnapshot = 0;
        job.Run(_options.SnapshotScheduler, job.Serialize);
        AdvanceLocalSnapshot();
    }

    /// <summary>Moves the local snapshot to its next step once the current one has finished.</summary>
    private void AdvanceLocalSnapshot()
    {
        while (_localSnapshot is { IsRunning: false } job)
        {
            if (job.Failure is { } failure)
            {
                // Fail-stop, as for any storage failure: nobody knows what reached the disk.
                throw new InvalidOperationException($"the local snapshot at {job.Index} failed: {failure.Message}", failure);
            }
            if (job.Save is null)
            {
                var snapshot = Node.Compact(job.Index, job.Data);
                if (snapshot is null)
                {
                    _localSnapshot = null; // superseded by a snapshot from the leader
                    return;
                }
                _lastSnapshotBytes = job.Data.Length;
                job.Save = _store.BeginSaveSnapshot(snapshot);
                job.Run(_options.SnapshotScheduler, job.Save.Write);
            }
            else
            {
                job.Save.Commit();
                CommittedSnapshotIndex = job.Index;
                _localSnapshot = null;
            }
        }
    }

    private void OnSnapshotRestored(Snapshot snapshot)
    {
        _snapshotIndex = snapshot.Metadata.Index;
        _lastSnapshotBytes = snapshot.Data.Length;
        _appliedBytesSinceSnapshot = 0;
    }

    /// <summary>
    /// The state is at most the last snapshot plus what was applied since (less if keys were
    /// overwritten, so the guess stops at twice the last snapshot).
    /// </summary>
    private int EstimateBytes() =>
        (int)Math.Min(Array.MaxLength, _lastSnapshotBytes + Math.Min(_appliedBytesSinceSnapshot, _lastSnapshotBytes + (1 << 20)));

    /// <summary>One local snapshot: its current step runs on the scheduler; the replica's thread reads its results once it has finished.</summary>
    private sealed class LocalSnapshot(ulong index, SnapshotWriter capture, int estimatedBytes)
    {
        private volatile bool _running;

        public ulong Index { get; } = index;

        public bool IsRunning => _running;

        public ReadOnlyMemory<byte> Data { get; private set; }

        public ISnapshotSave? Save { get; set; }

        public Exception? Failure { get; private set; }

        public void Run(ISnapshotScheduler scheduler, Action step)
        {
            Invariant.Check(!_running, "snapshot {0}: a step is already running", Index);
            _running = true;
            scheduler.Schedule(() =>
            {
                try
                {
                    step();
                }
                catch (Exception e)
                {
                    Failure = e;
                }
                // Volatile: publishes Data, Failure and the step's writes to the replica's thread.
                _running = false;
            });
        }

        public void Serialize()
        {
            var buffer = new MemoryStream(estimatedBytes);
            capture.WriteTo(buffer);
            int length = (int)buffer.Length;
            // The core keeps these bytes until the next snapshot: do not keep a mostly empty buffer with them.
            Data = length >= buffer.Capacity * 3L / 4 ? buffer.GetBuffer().AsMemory(0, length) : buffer.ToArray();
        }
    }
}
