using Colony.Core;

namespace Colony.Consensus.Storage;

public sealed partial class SegmentedLogStore
{
    /// <summary>
    /// Recovers what was durable: the newest readable snapshot, the hard state, and the entries after the
    /// snapshot. Reading stops at the first bad record (torn, corrupt, impossible length, index gap); the
    /// file is cut there and later segments deleted, durably, before anything new is written.
    /// </summary>
    public PersistentState Load()
    {
        if (_phase != Phase.Created)
        {
            throw new InvalidOperationException("Load is called once, before any write");
        }
        try
        {
            var state = Recover();
            _phase = Phase.Open;
            return state;
        }
        catch (Exception e)
        {
            throw Fail("load", e);
        }
    }

    private PersistentState Recover()
    {
        _fileSystem.CreateDirectory(_directory);
        var snapshotIndexes = new List<ulong>();
        var sequences = new List<ulong>();
        bool directoryChanged = false;
        foreach (string name in _fileSystem.ListFiles(_directory))
        {
            if (StorageFileNames.IsTemp(name))
            {
                // A snapshot whose writing a crash cut short.
                _fileSystem.Delete(Path.Combine(_directory, name));
                directoryChanged = true;
            }
            else if (StorageFileNames.TryParseSnapshot(name, out ulong index))
            {
                snapshotIndexes.Add(index);
            }
            else if (StorageFileNames.TryParseSegment(name, out ulong sequence))
            {
                sequences.Add(sequence);
            }
        }

        var snapshot = LoadNewestSnapshot(snapshotIndexes, ref directoryChanged);
        var replay = new LogReplay();
        ReplaySegments(sequences, replay, ref directoryChanged);
        if (directoryChanged)
        {
            _fileSystem.SyncDirectory(_directory);
            FsyncCount++;
        }

        var metadata = snapshot.Metadata;
        var entries = replay.EntriesAfter(metadata.Index, metadata.Term);
        bool restartLog = entries is null;
        entries ??= [];
        _snapshotIndex = metadata.Index;
        _lastIndex = entries.Count > 0 ? entries[^1].Index : metadata.Index;
        var hardState = replay.HardState;
        bool clamped = hardState.Commit > _lastIndex;
        if (clamped)
        {
            hardState = hardState with { Commit = _lastIndex };
        }
        _hardState = hardState;

        OpenActiveSegment();
        if (restartLog)
        {
            // The log does not continue the snapshot: record that it restarts after it, or a later
            // entry would be read as following the stale ones.
            var record = BeginRecord(WalRecord.LogResetBytes);
            WalRecord.WriteLogReset(record[WalRecord.HeaderBytes..], metadata.Index, metadata.Term);
            EndRecord(record, WalRecordKind.LogReset);
            _resetSequence = Active.Sequence;
        }
        if (clamped)
        {
            // Record the commit index we returned, or entries written later at the same indexes
            // would lift it back over entries that were never committed.
            var record = BeginRecord(WalRecord.HardStateBytes);
            WalRecord.WriteHardState(record[WalRecord.HeaderBytes..], hardState);
            EndRecord(record, WalRecordKind.HardState);
        }
        if (restartLog || clamped)
        {
            // What was returned is durable before anything else happens: a snapshot installed next writes its own
            // file at once, and a crash after that would otherwise read the stale log, or the higher commit index,
            // beside the new snapshot.
            SyncActive();
        }
        _compactionDue = true;
        return new PersistentState(hardState, snapshot, entries);
    }

    /// <summary>The newest snapshot that reads back whole; unreadable newer ones are deleted.</summary>
    private Snapshot LoadNewestSnapshot(List<ulong> indexes, ref bool directoryChanged)
    {
        indexes.Sort();
        for (int i = indexes.Count - 1; i >= 0; i--)
        {
            string path = Path.Combine(_directory, StorageFileNames.Snapshot(indexes[i]));
            var snapshot = SnapshotFile.TryRead(_fileSystem, path);
            if (snapshot is null)
            {
                _fileSystem.Delete(path);
                directoryChanged = true;
                continue;
            }
            if (snapshot.Metadata.Index != indexes[i])
            {
                throw new InvalidDataException($"snapshot file '{path}' holds the snapshot at {snapshot.Metadata.Index}");
            }
            return snapshot;
        }
        return Snapshot.Empty;
    }

    private void ReplaySegments(List<ulong> sequences, LogReplay replay, ref bool directoryChanged)
    {
        sequences.Sort();
        // The log is the newest run of consecutive sequence numbers. An older straggler is a segment
        // whose deletion by compaction did not become durable.
        int first = sequences.Count - 1;
        while (first > 0 && sequences[first - 1] + 1 == sequences[first])
        {
            first--;
        }
        for (int i = 0; i < first; i++)
        {
            _fileSystem.Delete(Path.Combine(_directory, StorageFileNames.Segment(sequences[i])));
            directoryChanged = true;
        }
        for (int i = Math.Max(first, 0); i < sequences.Count; i++)
        {
            var segment = new Segment(sequences[i], Path.Combine(_directory, StorageFileNames.Segment(sequences[i])));
            long validBytes = ReplaySegment(segment, replay, out bool complete);
            if (complete)
            {
                segment.Length = validBytes;
                _segments.Add(segment);
                continue;
            }
            if (validBytes < WalRecord.PrologueBytes)
            {
                _fileSystem.Delete(segment.Path);
            }
            else
            {
                using var file = _fileSystem.Open(segment.Path, FileOpenMode.ReadWrite);
                file.SetLength(validBytes);
                // Durable before anything new lands here: new records must never sit in front of the
                // old bytes we cut, or a later recovery could read them again.
                file.Sync();
                FsyncCount++;
                segment.Length = validBytes;
                _segments.Add(segment);
            }
            for (int j = i + 1; j < sequences.Count; j++)
            {
                _fileSystem.Delete(Path.Combine(_directory, StorageFileNames.Segment(sequences[j])));
            }
            directoryChanged = true;
            return;
        }
    }

    /// <summary>
    /// Feeds one segment's records to <paramref name="replay"/> and returns how many bytes of it are
    /// good. <paramref name="complete"/> is false if reading stopped at a bad record, or before the
    /// segment's prologue (header and hard state) was whole.
    /// </summary>
    private long ReplaySegment(Segment segment, LogReplay replay, out bool complete)
    {
        byte[] bytes = ReadWholeFile(segment.Path);
        complete = false;
        int offset = 0;
        int position = 0;
        while (true)
        {
            var status = WalRecord.TryRead(
                bytes.AsSpan(offset), LogStoreOptions.MaxRecordBytesCeiling, out var kind, out var payload, out int recordBytes);
            // Zeros to the end are space written ahead for records (LogStoreOptions.PreallocateBytes), or a tail a
            // crash zeroed: either way no record. A torn record before zeros is not all zeros, and stops the read.
            if (status == WalReadStatus.End || bytes.AsSpan(offset).IndexOfAnyExcept((byte)0) < 0)
            {
                complete = position >= 2;
                return offset;
            }
            if (status != WalReadStatus.Valid)
            {
                return offset;
            }
            int payloadOffset = offset + WalRecord.HeaderBytes;
            switch (position, kind)
            {
                case (0, WalRecordKind.SegmentHeader):
                    ulong sequence = WalRecord.ReadSegmentHeader(payload);
                    if (sequence != segment.Sequence)
                    {
                        throw new InvalidDataException($"segment '{segment.Path}' says it is segment {sequence}");
                    }
                    break;
                case (0, _):
                    throw new InvalidDataException($"segment '{segment.Path}' starts with a {kind} record, not a header");
                case (1, not WalRecordKind.HardState):
                    throw new InvalidDataException($"segment '{segment.Path}' has a {kind} record where its hard state belongs");
                case (_, WalRecordKind.HardState):
                    replay.HardState = WalRecord.ReadHardState(payload);
                    break;
                case (_, WalRecordKind.Entry):
                    var entry = WalRecord.ReadEntry(bytes, payloadOffset, payload.Length);
                    if (!replay.TryAdd(entry))
                    {
                        return offset;
                    }
                    segment.MaxEntryIndex = Math.Max(segment.MaxEntryIndex, entry.Index);
                    break;
                case (_, WalRecordKind.LogReset):
                    var (index, term) = WalRecord.ReadLogReset(payload);
                    replay.Reset(index, term);
                    _resetSequence = segment.Sequence;
                    break;
                default:
                    throw new InvalidDataException($"segment '{segment.Path}' has a checksummed record of unknown kind {(byte)kind} at byte {offset}");
            }
            offset += recordBytes;
            position++;
        }
    }

    private byte[] ReadWholeFile(string path)
    {
        using var file = _fileSystem.Open(path, FileOpenMode.Read);
        long length = file.Length;
        if (length > Array.MaxLength)
        {
            throw new InvalidDataException($"segment '{path}' is {length} bytes long, more than one array holds");
        }
        var bytes = new byte[length];
        int read = file.Read(0, bytes);
        if (read != bytes.Length)
        {
            throw new IOException($"read {read} of the {length} bytes of '{path}'");
        }
        return bytes;
    }

    /// <summary>Appends to the last segment if it has room, otherwise starts the next one.</summary>
    private void OpenActiveSegment()
    {
        if (_segments.Count > 0 && _segments[^1].Length < _options.SegmentBytes)
        {
            var last = _segments[^1];
            _activeFile = _fileSystem.Open(last.Path, FileOpenMode.ReadWrite);
            // Longer than its records by the zeros written ahead of them, which the next records overwrite.
            _activeFileBytes = _activeFile.Length;
            Invariant.Check(_activeFileBytes >= last.Length, "segment length changed while loading: {0}", last.Path);
            _activeWrittenBytes = last.Length;
            _activeHasRecords = last.Length > WalRecord.PrologueBytes;
            return;
        }
        StartSegment(_segments.Count > 0 ? _segments[^1].Sequence + 1 : 1);
    }
}
