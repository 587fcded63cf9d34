using Colony.Consensus;
using Colony.Core;
using Colony.Testing.Storage;

namespace Colony.Consensus.Storage.Tests;

/// <summary>
/// Random workloads against a model, with crashes (torn writes included) and injected I/O failures.
/// After every restart the store must return a state the model allows: the synced state, or the
/// state after some prefix of what was written since, seen through the newest snapshot.
/// </summary>
public class CrashRecoveryPropertyTests
{
    [Fact]
    public void Random_workloads_with_crashes_recover_a_state_the_model_allows()
    {
        for (ulong seed = 0; seed < 2000; seed++)
        {
            new Workload(seed, injectFailures: false).Run(steps: 250);
        }
    }

    [Fact]
    public void Random_workloads_with_injected_io_failures_recover_a_state_the_model_allows()
    {
        for (ulong seed = 100_000; seed < 102_000; seed++)
        {
            new Workload(seed, injectFailures: true).Run(steps: 250);
        }
    }

    /// <summary>The log a node has: entries after a base point (a snapshot or a reset), and its hard state.</summary>
    private sealed class ModelLog
    {
        public ulong BaseIndex { get; private set; }

        public ulong BaseTerm { get; private set; }

        public List<Entry> Entries { get; private init; } = [];

        public HardState HardState { get; set; }

        public ulong LastIndex => BaseIndex + (ulong)Entries.Count;

        public static ModelLog From(PersistentState state) => new()
        {
            BaseIndex = state.Snapshot.Metadata.Index,
            BaseTerm = state.Snapshot.Metadata.Term,
            Entries = [.. state.Entries],
            HardState = state.HardState,
        };

        public ModelLog Clone() => new() { BaseIndex = BaseIndex, BaseTerm = BaseTerm, Entries = [.. Entries], HardState = HardState };

        public ulong? TermAt(ulong index) =>
            index == BaseIndex ? BaseTerm
            : index > BaseIndex && index <= LastIndex ? Entries[(int)(index - BaseIndex - 1)].Term
            : null;

        public void Apply(Record record)
        {
            switch (record.Kind)
            {
                case RecordKind.Entry:
                    Assert.InRange(record.Entry.Index, BaseIndex + 1, LastIndex + 1);
                    Entries.RemoveRange((int)(record.Entry.Index - BaseIndex - 1), (int)(LastIndex + 1 - record.Entry.Index));
                    Entries.Add(record.Entry);
                    break;
                case RecordKind.HardState:
                    HardState = record.HardState;
                    break;
                case RecordKind.Reset:
                    Entries.Clear();
                    BaseIndex = record.Index;
                    BaseTerm = record.Term;
                    break;
            }
        }

        /// <summary>What Load must return for this log if the newest snapshot is <paramref name="snapshot"/>.</summary>
        public (List<Entry> Entries, HardState HardState) SeenThrough(SnapshotMetadata snapshot)
        {
            List<Entry> entries = TermAt(snapshot.Index) == snapshot.Term
                ? Entries.Where(e => e.Index > snapshot.Index).ToList()
                : [];
            ulong last = entries.Count > 0 ? entries[^1].Index : snapshot.Index;
            return (entries, HardState.Commit > last ? HardState with { Commit = last } : HardState);
        }
    }

    private enum RecordKind
    {
        Entry,
        HardState,
        Reset,
    }

    private readonly record struct Record(RecordKind Kind, Entry Entry = default, HardState HardState = default, ulong Index = 0, ulong Term = 0);

    private sealed class Workload
    {
        private readonly ulong _seed;
        private readonly bool _injectFailures;
        private readonly SeededRandom _random;
        private readonly SimFileSystem _fileSystem = new();
        private readonly string _directory = Path.Combine("node", "wal");
        private readonly LogStoreOptions _options;
        private readonly List<string> _trace = [];
        private SegmentedLogStore _store = null!;
        private ModelLog _synced = new();
        private ModelLog _current = new();
        private readonly List<Record> _pending = [];
        private List<Snapshot> _possibleSnapshots = [Snapshot.Empty];
        private ulong _term = 1;

        public Workload(ulong seed, bool injectFailures)
        {
            _seed = seed;
            _injectFailures = injectFailures;
            _random = new SeededRandom(seed);
            _options = new LogStoreOptions
            {
                SegmentBytes = 1024 + _random.Next(4) * 1024,
                MaxBufferedBytes = 4096,
                MaxRecordBytes = 2048,
                // Zeros ahead of the records: none, a few records' worth at a time, or the whole segment at once.
                PreallocateBytes = _random.Next(3) switch { 0 => 0, 1 => 64 + _random.Next(512), _ => 1 << 20 },
            };
        }

        public void Run(int steps)
        {
            Restart(crash: false);
            for (int step = 0; step < steps; step++)
            {
                if (_injectFailures && _fileSystem.FailWhen is null && _random.Next(10) == 0)
                {
                    int countdown = _random.Next(12);
                    _fileSystem.FailWhen = (_, _) => countdown-- == 0;
                }
                try
                {
                    Step();
                }
                catch (LogStoreFailedException e)
                {
                    Assert.True(_injectFailures, $"seed {_seed}: unexpected failure {e}\n{Trace()}");
                    _trace.Add($"  failed: {e.InnerException?.Message}");
                    Restart(crash: true);
                }
            }
            _store.Dispose();
        }

        private void Step()
        {
            int roll = _random.Next(100);
            if (roll < 45)
            {
                Append();
            }
            else if (roll < 60)
            {
                var state = new HardState(_term, (ulong)_random.Next(4), (ulong)_random.Next((int)_current.LastIndex + 1));
                _trace.Add($"hard state {state}");
                _pending.Add(new Record(RecordKind.HardState, HardState: state));
                _current.HardState = state;
                _store.SetHardState(state);
            }
            else if (roll < 80)
            {
                _trace.Add("sync");
                _store.Sync();
                MarkSynced();
            }
            else if (roll < 85)
            {
                SaveSnapshot();
            }
            else if (roll < 88)
            {
                InstallSnapshot();
            }
            else if (roll < 97)
            {
                Restart(crash: true);
            }
            else
            {
                Restart(crash: false);
            }
        }

        private void Append()
        {
            ulong floor = Math.Max(_current.BaseIndex, SnapshotIndex) + 1;
            ulong last = _current.LastIndex;
            ulong first = last + 1 > floor && _random.Next(4) == 0 ? floor + (ulong)_random.Next((int)(last + 1 - floor)) : last + 1;
            if (first <= last)
            {
                _term++; // a new leader overwrote our suffix
            }
            int count = 1 + _random.Next(8);
            var entries = new Entry[count];
            for (int i = 0; i < count; i++)
            {
                entries[i] = TestEntries.Make(_term, first + (ulong)i, _random.Next(300));
            }
            _trace.Add($"append {first}..{first + (ulong)count - 1} term {_term}");
            foreach (var entry in entries)
            {
                _pending.Add(new Record(RecordKind.Entry, entry));
                _current.Apply(new Record(RecordKind.Entry, entry));
            }
            _store.Append(entries);
        }

        private void SaveSnapshot()
        {
            ulong from = SnapshotIndex + 1;
            if (_current.LastIndex < from)
            {
                return;
            }
            ulong index = from + (ulong)_random.Next((int)(_current.LastIndex - from + 1));
            var snapshot = MakeSnapshot(index, _current.TermAt(index)!.Value);
            _trace.Add($"save snapshot {index}");
            _possibleSnapshots.Add(snapshot);
            _store.SaveSnapshot(snapshot);
            MarkSynced();
            _possibleSnapshots = [snapshot];
        }

        private void InstallSnapshot()
        {
            ulong index = SnapshotIndex + 1 + (ulong)_random.Next((int)(_current.LastIndex - SnapshotIndex) + 5);
            ulong? stored = _current.TermAt(index);
            ulong term = stored is { } t && _random.Next(2) == 0 ? t : _term + 1;
            _term = Math.Max(_term, term);
            var snapshot = MakeSnapshot(index, term);
            _trace.Add($"install snapshot {index} term {term}");
            _possibleSnapshots.Add(snapshot);
            var reset = new Record(RecordKind.Reset, Index: index, Term: term);
            _pending.Add(reset);
            _current.Apply(reset);
            _store.InstallSnapshot(snapshot);
            _possibleSnapshots = [snapshot];
        }

        private ulong SnapshotIndex => _possibleSnapshots[^1].Metadata.Index;

        private static Snapshot MakeSnapshot(ulong index, ulong term) =>
            new(new SnapshotMetadata(index, term, Membership.OfVoters(1, 2, 3)), BitConverter.GetBytes(index * 1000 + term));

        private void MarkSynced()
        {
            _synced = _current.Clone();
            _pending.Clear();
        }

        private void Restart(bool crash)
        {
            _fileSystem.FailWhen = null;
            _store?.Dispose();
            if (crash)
            {
                _trace.Add("crash");
                _fileSystem.Crash(new SeededRandom(_random.NextUInt64()));
            }
            else
            {
                _trace.Add("restart");
            }
            _store = new SegmentedLogStore(_fileSystem, _directory, _options);
            var state = _store.Load();
            Check(state);
            _synced = ModelLog.From(state);
            _current = _synced.Clone();
            _pending.Clear();
            _possibleSnapshots = [state.Snapshot];
        }

        private void Check(PersistentState state)
        {
            var snapshot = _possibleSnapshots.FirstOrDefault(s => s.Metadata == state.Snapshot.Metadata);
            Assert.True(snapshot is not null, $"seed {_seed}: snapshot {state.Snapshot.Metadata} was never written\n{Trace()}");
            Assert.Equal(snapshot.Data.ToArray(), state.Snapshot.Data.ToArray());

            var candidate = _synced.Clone();
            for (int applied = 0; ; applied++)
            {
                var (entries, hardState) = candidate.SeenThrough(state.Snapshot.Metadata);
                if (hardState == state.HardState && entries.Count == state.Entries.Count
                    && entries.Zip(state.Entries).All(pair => pair.First.ContentEquals(pair.Second)))
                {
                    _trace.Add($"  recovered {TestEntries.Describe(state.Entries)} {state.HardState} after {applied} of {_pending.Count} unsynced records");
                    return;
                }
                if (applied == _pending.Count)
                {
                    break;
                }
                candidate.Apply(_pending[applied]);
            }
            Assert.Fail($"seed {_seed}: recovered snapshot {state.Snapshot.Metadata.Index}, entries {TestEntries.Describe(state.Entries)}, "
                + $"{state.HardState}; synced model had {TestEntries.Describe(_synced.Entries)} {_synced.HardState} and "
                + $"{_pending.Count} unsynced records\n{Trace()}");
        }

        private string Trace() => string.Join('\n', _trace.TakeLast(40));
    }
}
