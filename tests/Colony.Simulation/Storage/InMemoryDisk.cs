using Colony.Consensus;
using Colony.Core;

namespace Colony.Simulation.Storage;

/// <summary>
/// A model disk holding a Raft log store's state as objects: synced operations are durable, later
/// ones wait in a queue. A crash lets a random prefix of the queue through (a log written in order
/// and cut at its first bad record) and, if tearing is allowed, cuts the last append short. It also
/// checks that the core uses the store as <see cref="IRaftLogStore"/> says.
/// </summary>
internal sealed class InMemoryDisk(bool tornWrites) : ISimDisk
{
    private readonly Image _durable = new();
    private readonly List<Operation> _unsynced = [];
    private Image _projected = new();
    private int _generation;

    public IRaftLogStore Open()
    {
        _generation++;
        return new Store(this, _generation);
    }

    public void Crash(IRandomSource random)
    {
        int survivors = random.Next(_unsynced.Count + 1);
        for (int i = 0; i < survivors; i++)
        {
            var operation = _unsynced[i];
            if (i == survivors - 1 && tornWrites && operation.Entries is { Count: > 1 } entries && random.Next(2) == 0)
            {
                operation = operation with { Entries = entries.Take(1 + random.Next(entries.Count - 1)).ToArray() };
            }
            _durable.Apply(operation);
        }
        _unsynced.Clear();
        _projected = _durable.Copy();
        _generation++;
    }

    private enum OperationKind
    {
        Append,
        HardState,
        SaveSnapshot,
        InstallSnapshot,
    }

    private sealed record Operation(OperationKind Kind, IReadOnlyList<Entry>? Entries = null, HardState HardState = default, Snapshot? Snapshot = null);

    /// <summary>The store's contents: hard state, newest snapshot, and the contiguous entries after it.</summary>
    private sealed class Image
    {
        public HardState HardState { get; private set; }

        public Snapshot Snapshot { get; private set; } = Consensus.Snapshot.Empty;

        public List<Entry> Entries { get; } = [];

        public ulong LastIndex => Entries.Count > 0 ? Entries[^1].Index : Snapshot.Metadata.Index;

        public Image Copy()
        {
            var copy = new Image { HardState = HardState, Snapshot = Snapshot };
            copy.Entries.AddRange(Entries);
            return copy;
        }

        public void Apply(Operation operation)
        {
            switch (operation.Kind)
            {
                case OperationKind.Append:
                    Append(operation.Entries!);
                    break;
                case OperationKind.HardState:
                    HardState = operation.HardState;
                    break;
                case OperationKind.SaveSnapshot:
                    var saved = operation.Snapshot!;
                    Invariant.Check(saved.Metadata.Index <= LastIndex, "a local snapshot at {0} is past the log's last entry", saved.Metadata.Index);
                    if (saved.Metadata.Index > Snapshot.Metadata.Index)
                    {
                        Snapshot = saved;
                        Entries.RemoveAll(entry => entry.Index <= saved.Metadata.Index);
                    }
                    break;
                case OperationKind.InstallSnapshot:
                    Snapshot = operation.Snapshot!;
                    Entries.Clear();
                    break;
            }
        }

        private void Append(IReadOnlyList<Entry> entries)
        {
            if (entries.Count == 0)
            {
                return;
            }
            ulong first = entries[0].Index;
            Invariant.Check(first <= LastIndex + 1, "append at {0} leaves a gap in the store", first);
            Invariant.Check(first > Snapshot.Metadata.Index, "append at {0} overwrites the snapshot", first);
            Entries.RemoveAll(entry => entry.Index >= first);
            for (int i = 0; i < entries.Count; i++)
            {
                Invariant.Check(entries[i].Index == first + (ulong)i, "appended entries are not contiguous at {0}", entries[i].Index);
                Entries.Add(entries[i]);
            }
        }
    }

    private sealed class Store(InMemoryDisk disk, int generation) : IRaftLogStore
    {
        private bool _loaded;

        public PersistentState Load()
        {
            CheckOpen();
            Invariant.Check(!_loaded, "the store was loaded twice");
            _loaded = true;
            var image = disk._durable.Copy();
            return new PersistentState(image.HardState, image.Snapshot, image.Entries);
        }

        public void Append(IReadOnlyList<Entry> entries)
        {
            CheckOpen();
            if (entries.Count > 0)
            {
                Write(new Operation(OperationKind.Append, entries.ToArray()));
            }
        }

        public void SetHardState(HardState state) => Write(new Operation(OperationKind.HardState, HardState: state));

        public void SaveSnapshot(Snapshot snapshot) => Write(new Operation(OperationKind.SaveSnapshot, Snapshot: snapshot));

        public void InstallSnapshot(Snapshot snapshot) => Write(new Operation(OperationKind.InstallSnapshot, Snapshot: snapshot));

        public void Sync()
        {
            CheckOpen();
            foreach (var operation in disk._unsynced)
            {
                disk._durable.Apply(operation);
            }
            disk._unsynced.Clear();
        }

        public void Dispose()
        {
        }

        private void Write(Operation operation)
        {
            CheckOpen();
            Invariant.Check(_loaded, "the store was written before Load");
            // Applied at once to the projected image, so a misuse surfaces at the call that made it.
            disk._projected.Apply(operation);
            disk._unsynced.Add(operation);
        }

        private void CheckOpen() => Invariant.Check(generation == disk._generation, "a store from before the last crash was used");
    }
}
