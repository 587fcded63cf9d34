using Colony.Core;

namespace Colony.Consensus.Storage;

/// <summary>
/// A Raft node's durable state in one directory: a write-ahead log cut into segment files, plus
/// snapshot files. Single-threaded, like the driver that calls it.
/// </summary>
/// <remarks>
/// <para>
/// <b>Records.</b> Entries, hard states and log resets are appended as checksummed records (see
/// <see cref="WalRecord"/>). Every segment opens with a header and the current hard state, so deleting
/// older segments never loses the term and vote.
/// </para>
/// <para>
/// <b>Conflicts are resolved at replay, not by cutting files</b> (as etcd does): an entry at index i
/// supersedes every earlier entry at i or later. Writing is then append-only, and any prefix of the
/// records rebuilds a log the node really had. Cutting the file instead would need its own fsync before
/// the new entries, or a crash could leave new entries followed by old ones of a higher term that the
/// file still held: a log the node never had.
/// </para>
/// <para>
/// <b>Group commit.</b> Writes go to a buffer; <see cref="Sync"/> writes it with one call and one fsync
/// per file it touches (a directory fsync too if a segment was created). A segment is sealed (written
/// and fsynced) before its successor receives a byte, so a crash can only lose a suffix of the records.
/// </para>
/// <para>
/// <b>Failures stop the store.</b> After any I/O error it throws <see cref="LogStoreFailedException"/>
/// for every call: after a failed write or fsync nobody knows what is on disk, and retrying an fsync
/// can report success for data the kernel already dropped. Restarting and loading again is safe.
/// </para>
/// </remarks>
public sealed partial class SegmentedLogStore : IRaftLogStore
{
    /// <summary>The newest snapshots kept on disk: the older one is a fallback if the newest is unreadable.</summary>
    public const int SnapshotsRetained = 2;

    private readonly IFileSystem _fileSystem;
    private readonly string _directory;
    private readonly LogStoreOptions _options;
    private readonly WalWriteBuffer _buffer;
    private readonly List<Segment> _segments = []; // oldest first; the last one is active
    private IStorageFile? _activeFile;
    private long _activeWrittenBytes;
    private long _activeFileBytes; // the active file's length: its records, then the zeros written ahead of them
    private bool _activeUnsynced; // bytes written to the active file since its last fsync
    private bool _activeHasRecords; // the active segment holds more than its prologue
    private bool _directoryUnsynced; // a segment was created since the directory's last fsync
    private bool _compactionDue;
    private HardState _hardState = HardState.Empty;
    private ulong _lastIndex;
    private ulong _snapshotIndex;
    private ulong _resetSequence; // segments before this one hold only a log that a reset discarded
    private Phase _phase = Phase.Created;
    private Exception? _failure;

    public SegmentedLogStore(IFileSystem fileSystem, string directory, LogStoreOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(fileSystem);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        _options = options ?? LogStoreOptions.Default;
        _options.Validate();
        _fileSystem = fileSystem;
        _directory = directory;
        // Flushed once it holds MaxBufferedBytes, so it never needs more than twice that, bar one huge record.
        _buffer = new WalWriteBuffer(Math.Min(_options.MaxBufferedBytes, 64 << 10), (int)Math.Min(2L * _options.MaxBufferedBytes, Array.MaxLength));
    }

    private enum Phase : byte
    {
        Created = 1,
        Open = 2,
        Failed = 3,
        Disposed = 4,
    }

    public string Directory => _directory;

    /// <summary>fsyncs issued so far, of files and of the directory.</summary>
    public long FsyncCount { get; private set; }

    /// <summary>Bytes written to segment files so far.</summary>
    public long BytesWritten { get; private set; }

    /// <summary>Segment files the log currently spans.</summary>
    public int SegmentCount => _segments.Count;

    /// <summary>True once an I/O error has stopped the store.</summary>
    public bool IsFailed => _phase == Phase.Failed;

    private Segment Active => _segments[^1];

    public void Append(IReadOnlyList<Entry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ThrowIfNotWritable();
        if (entries.Count == 0)
        {
            return;
        }
        ValidateBatch(entries);
        try
        {
            for (int i = 0; i < entries.Count; i++)
            {
                var entry = entries[i];
                // Entries under a snapshot are committed, hence identical to what is stored: skip them.
                if (entry.Index <= _snapshotIndex)
                {
                    continue;
                }
                var record = BeginRecord(WalRecord.EntryPrefixBytes + entry.Data.Length);
                WalRecord.WriteEntry(record[WalRecord.HeaderBytes..], entry);
                EndRecord(record, WalRecordKind.Entry);
                Active.MaxEntryIndex = Math.Max(Active.MaxEntryIndex, entry.Index);
            }
            if (entries[^1].Index > _snapshotIndex)
            {
                _lastIndex = entries[^1].Index;
            }
        }
        catch (Exception e)
        {
            throw Fail("append", e);
        }
    }

    public void SetHardState(HardState state)
    {
        ThrowIfNotWritable();
        try
        {
            _hardState = state;
            var record = BeginRecord(WalRecord.HardStateBytes);
            WalRecord.WriteHardState(record[WalRecord.HeaderBytes..], state);
            EndRecord(record, WalRecordKind.HardState);
        }
        catch (Exception e)
        {
            throw Fail("set hard state", e);
        }
    }

    /// <summary>Writes what is buffered with one call, then one fsync per file touched. Nothing buffered: no fsync.</summary>
    public void Sync()
    {
        ThrowIfNotWritable();
        try
        {
            SyncActive();
            if (_compactionDue)
            {
                Compact();
            }
        }
        catch (Exception e)
        {
            throw Fail("sync", e);
        }
    }

    /// <summary>
    /// Stores a snapshot taken locally, durably, then deletes the segments it makes unnecessary. A snapshot
    /// no newer than the stored one is ignored.
    /// </summary>
    public void SaveSnapshot(Snapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ThrowIfNotWritable();
        if (snapshot.Metadata.Index <= _snapshotIndex)
        {
            return;
        }
        var save = (LocalSnapshotSave)BeginSaveSnapshot(snapshot);
        try
        {
            // The log first, so the snapshot never covers entries that a crash could still take back.
            SyncActive();
            save.Write();
        }
        catch (Exception e)
        {
            throw Fail("save snapshot", e);
        }
        save.Commit();
    }

    /// <summary>
    /// Saves a local snapshot in two steps: <see cref="ISnapshotSave.Write"/> writes and fsyncs its file
    /// under a temporary name and renames it, touching nothing else of the store, so it may run on another
    /// thread while entries are appended; <see cref="ISnapshotSave.Commit"/> then deletes the segments it
    /// makes unnecessary. A crash in between leaves a newer snapshot beside a whole log, which recovery
    /// reads like any other. A failed write does not stop the store; its caller decides.
    /// </summary>
    public ISnapshotSave BeginSaveSnapshot(Snapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ThrowIfNotWritable();
        if (snapshot.Metadata.Index > _lastIndex)
        {
            throw new ArgumentException($"snapshot at {snapshot.Metadata.Index} is past the log's last entry {_lastIndex}", nameof(snapshot));
        }
        ValidateSnapshotSize(snapshot);
        return new LocalSnapshotSave(this, snapshot);
    }

    /// <summary>The second step of a local save, on the driver's thread: the file is durable, so the log before it may go.</summary>
    private void CommitSnapshot(Snapshot snapshot, int fsyncs)
    {
        ThrowIfNotWritable();
        FsyncCount += fsyncs;
        if (snapshot.Metadata.Index <= _snapshotIndex)
        {
            return; // a snapshot from the leader was installed meanwhile
        }
        try
        {
            // Compaction below needs the newest hard state durable in a segment it keeps.
            SyncActive();
            _snapshotIndex = snapshot.Metadata.Index;
            DeleteOldSnapshots();
            Compact();
        }
        catch (Exception e)
        {
            throw Fail("save snapshot", e);
        }
    }

    /// <summary>A local snapshot between its two steps.</summary>
    private sealed class LocalSnapshotSave(SegmentedLogStore store, Snapshot snapshot) : ISnapshotSave
    {
        private volatile int _fsyncs = -1; // set once the file is durable

        public void Write()
        {
            Invariant.Check(_fsyncs < 0, "snapshot {0} was written twice", snapshot.Metadata.Index);
            // Only the file system and the immutable directory name: safe beside the driver's calls.
            _fsyncs = SnapshotFile.Write(store._fileSystem, store._directory, snapshot);
        }

        public void Commit()
        {
            Invariant.Check(_fsyncs >= 0, "snapshot {0} committed before its file was written", snapshot.Metadata.Index);
            store.CommitSnapshot(snapshot, _fsyncs);
        }
    }

    /// <summary>
    /// Stores a snapshot from the leader durably and restarts the log after it. The reset record becomes
    /// durable at the next <see cref="Sync"/>, after the snapshot file; recovery handles a crash in between.
    /// </summary>
    public void InstallSnapshot(Snapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ThrowIfNotWritable();
        var metadata = snapshot.Metadata;
        if (metadata.Index == 0 || metadata.Index < _snapshotIndex)
        {
            throw new ArgumentException($"cannot install a snapshot at {metadata.Index}: the stored one is at {_snapshotIndex}", nameof(snapshot));
        }
        ValidateSnapshotSize(snapshot);
        try
        {
            // The snapshot first: were the reset durable without it, the log would lose entries this
            // node may have acknowledged, with nothing to replace them.
            FsyncCount += SnapshotFile.Write(_fileSystem, _directory, snapshot);
            _snapshotIndex = metadata.Index;
            var record = BeginRecord(WalRecord.LogResetBytes);
            WalRecord.WriteLogReset(record[WalRecord.HeaderBytes..], metadata.Index, metadata.Term);
            EndRecord(record, WalRecordKind.LogReset);
            _lastIndex = metadata.Index;
            _resetSequence = Active.Sequence;
            _compactionDue = true;
            DeleteOldSnapshots();
        }
        catch (Exception e)
        {
            throw Fail("install snapshot", e);
        }
    }

    /// <summary>Closes the files. Anything not yet synced is dropped, exactly as a crash would.</summary>
    public void Dispose()
    {
        if (_phase == Phase.Disposed)
        {
            return;
        }
        _phase = Phase.Disposed;
        _activeFile?.Dispose();
        _activeFile = null;
    }

    private void ValidateBatch(IReadOnlyList<Entry> entries)
    {
        ulong first = entries[0].Index;
        if (first == 0 || first > _lastIndex + 1)
        {
            throw new ArgumentException($"first entry {first} must be between 1 and {_lastIndex + 1}: the log ends at {_lastIndex}", nameof(entries));
        }
        for (int i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            if (entry.Index != first + (ulong)i)
            {
                throw new ArgumentException($"entry {i} has index {entry.Index}; expected {first + (ulong)i}", nameof(entries));
            }
            if (i > 0 && entry.Term < entries[i - 1].Term)
            {
                throw new ArgumentException($"entry {entry.Index} has term {entry.Term}, below its predecessor's {entries[i - 1].Term}", nameof(entries));
            }
            long recordBytes = WalRecord.HeaderBytes + WalRecord.EntryPrefixBytes + (long)entry.Data.Length;
            if (recordBytes > _options.MaxRecordBytes)
            {
                throw new ArgumentException($"entry {entry.Index} needs a {recordBytes}-byte record; MaxRecordBytes is {_options.MaxRecordBytes}", nameof(entries));
            }
        }
    }

    private void ValidateSnapshotSize(Snapshot snapshot)
    {
        if (snapshot.Data.Length > _options.MaxSnapshotBytes)
        {
            throw new ArgumentException($"snapshot of {snapshot.Data.Length} bytes is over MaxSnapshotBytes ({_options.MaxSnapshotBytes})", nameof(snapshot));
        }
    }

    /// <summary>Reserves a record in the buffer, sealing the active segment first if the record would overfill it.</summary>
    private Span<byte> BeginRecord(int payloadBytes)
    {
        int recordBytes = WalRecord.HeaderBytes + payloadBytes;
        if (_activeHasRecords && Active.Length + recordBytes > _options.SegmentBytes)
        {
            RollSegment();
        }
        Active.Length += recordBytes;
        return _buffer.Append(recordBytes);
    }

    private void EndRecord(Span<byte> record, WalRecordKind kind)
    {
        WalRecord.Seal(record, kind);
        _activeHasRecords = true;
        if (_buffer.Length >= _options.MaxBufferedBytes)
        {
            FlushBuffer();
        }
    }

    private void FlushBuffer()
    {
        if (_buffer.Length == 0)
        {
            return;
        }
        Invariant.Check(_activeWrittenBytes + _buffer.Length == Active.Length, "buffered bytes disagree with the segment length");
        _activeFile!.Write(_activeWrittenBytes, _buffer.Written);
        _activeWrittenBytes += _buffer.Length;
        BytesWritten += _buffer.Length;
        _activeUnsynced = true;
        _buffer.Clear();
        if (_activeWrittenBytes > _activeFileBytes)
        {
            _activeFileBytes = _activeWrittenBytes;
            Preallocate();
        }
    }

    private static readonly byte[] Zeros = new byte[64 << 10];

    /// <summary>
    /// Writes zeros after the records, <see cref="LogStoreOptions.PreallocateBytes"/> of them but not past the segment's
    /// size, for the appends that follow to overwrite. They become durable with the records' fsync, the one fsync in
    /// a step's worth of appends that grows the file.
    /// </summary>
    private void Preallocate()
    {
        long target = Math.Min(_activeWrittenBytes + _options.PreallocateBytes, _options.SegmentBytes);
        while (_activeFileBytes < target)
        {
            int count = (int)Math.Min(Zeros.Length, target - _activeFileBytes);
            _activeFile!.Write(_activeFileBytes, Zeros.AsSpan(0, count));
            _activeFileBytes += count;
        }
    }

    /// <summary>Told how long each fsync of the log took (for the node's fsync latency histogram).</summary>
    public Action<TimeSpan>? SyncObserved { get; set; }

    private void SyncActive()
    {
        FlushBuffer();
        if (_activeUnsynced)
        {
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            _activeFile!.Sync();
            SyncObserved?.Invoke(System.Diagnostics.Stopwatch.GetElapsedTime(started));
            FsyncCount++;
            _activeUnsynced = false;
        }
        if (_directoryUnsynced)
        {
            _fileSystem.SyncDirectory(_directory);
            FsyncCount++;
            _directoryUnsynced = false;
        }
    }

    /// <summary>
    /// Seals the active segment (its records and its name durable) before the next one gets a byte, so
    /// that no crash can keep a later segment's records while losing an earlier one's.
    /// </summary>
    private void RollSegment()
    {
        SyncActive();
        _activeFile!.Dispose();
        _activeFile = null;
        StartSegment(Active.Sequence + 1);
    }

    private void StartSegment(ulong sequence)
    {
        Invariant.Check(_activeFile is null && _buffer.Length == 0, "a segment starts with nothing pending");
        var segment = new Segment(sequence, Path.Combine(_directory, StorageFileNames.Segment(sequence)));
        _activeFile = _fileSystem.Open(segment.Path, FileOpenMode.CreateNew);
        _segments.Add(segment);
        _activeWrittenBytes = 0;
        _activeFileBytes = 0;
        _activeHasRecords = false;
        _directoryUnsynced = true;

        var header = BeginRecord(WalRecord.SegmentHeaderBytes);
        WalRecord.WriteSegmentHeader(header[WalRecord.HeaderBytes..], sequence);
        EndRecord(header, WalRecordKind.SegmentHeader);
        var hardState = BeginRecord(WalRecord.HardStateBytes);
        WalRecord.WriteHardState(hardState[WalRecord.HeaderBytes..], _hardState);
        EndRecord(hardState, WalRecordKind.HardState);
        _activeHasRecords = false;
        Invariant.Check(segment.Length == WalRecord.PrologueBytes, "segment prologue of {0} bytes", segment.Length);
    }

    /// <summary>
    /// Deletes the oldest segments that no longer hold a needed entry: those before the last log reset,
    /// and those whose entries a durable snapshot covers. Only a prefix goes, never the active segment,
    /// and only once everything written is durable, so the hard state survives in the segments kept.
    /// </summary>
    private void Compact()
    {
        Invariant.Check(_buffer.Length == 0 && !_activeUnsynced && !_directoryUnsynced, "compaction with unsynced writes");
        _compactionDue = false;
        int obsolete = 0;
        while (obsolete < _segments.Count - 1)
        {
            var segment = _segments[obsolete];
            if (segment.Sequence >= _resetSequence && segment.MaxEntryIndex > _snapshotIndex)
            {
                break;
            }
            obsolete++;
        }
        if (obsolete == 0)
        {
            return;
        }
        for (int i = 0; i < obsolete; i++)
        {
            _fileSystem.Delete(_segments[i].Path);
        }
        _segments.RemoveRange(0, obsolete);
        _fileSystem.SyncDirectory(_directory);
        FsyncCount++;
    }

    /// <summary>Keeps the newest <see cref="SnapshotsRetained"/> snapshots. Not synced: an old one coming back after a crash is harmless.</summary>
    private void DeleteOldSnapshots()
    {
        var indexes = new List<ulong>();
        foreach (string name in _fileSystem.ListFiles(_directory))
        {
            if (StorageFileNames.TryParseSnapshot(name, out ulong index))
            {
                indexes.Add(index);
            }
        }
        indexes.Sort();
        for (int i = 0; i < indexes.Count - SnapshotsRetained; i++)
        {
            _fileSystem.Delete(Path.Combine(_directory, StorageFileNames.Snapshot(indexes[i])));
        }
    }

    private void ThrowIfNotWritable()
    {
        switch (_phase)
        {
            case Phase.Open:
                return;
            case Phase.Created:
                throw new InvalidOperationException("Load must be called before any write");
            case Phase.Failed:
                throw new LogStoreFailedException(
                    $"the log store in '{_directory}' failed earlier ({_failure!.Message}) and refuses further calls; restart to recover", _failure);
            default:
                throw new ObjectDisposedException(nameof(SegmentedLogStore));
        }
    }

    /// <summary>Stops the store for good and says why.</summary>
    private LogStoreFailedException Fail(string operation, Exception cause)
    {
        _phase = Phase.Failed;
        _failure = cause;
        return new LogStoreFailedException($"the log store in '{_directory}' failed during {operation}: {cause.Message}", cause);
    }
}
