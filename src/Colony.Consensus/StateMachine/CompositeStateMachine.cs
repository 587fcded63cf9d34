using Colony.Core;

namespace Colony.Consensus.StateMachine;

/// <summary>
/// The one state machine the Raft log drives, made of modules. A <see cref="EntryType.Normal"/> entry
/// carries a <see cref="CommandBatch"/>; each command goes to the module it names, in batch order.
/// Membership and Noop entries change no module but still count as applied.
/// Not thread-safe: the replica's loop drives it.
/// </summary>
/// <remarks>
/// Every exception from <see cref="Apply"/> or <see cref="Restore"/> is fatal to the replica. The
/// composite checks what it can before changing anything (the whole batch; the whole snapshot), but a
/// module that throws halfway through its own work leaves the state partly changed.
/// </remarks>
public sealed partial class CompositeStateMachine : IStateMachine
{
    // Indexed by module id: routing is one array load, and iteration is in id order.
    private readonly IStateMachineModule?[] _byId = new IStateMachineModule?[256];
    private readonly IStateMachineModule[] _modules;

    public CompositeStateMachine(params IEnumerable<IStateMachineModule> modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (var module in modules)
        {
            ArgumentNullException.ThrowIfNull(module, nameof(modules));
            if (module.Id.Value == 0)
            {
                throw new ArgumentException("module id 0 is reserved", nameof(modules));
            }
            if (_byId[module.Id.Value] is not null)
            {
                throw new ArgumentException($"two modules claim id {module.Id}", nameof(modules));
            }
            _byId[module.Id.Value] = module;
        }
        _modules = _byId.OfType<IStateMachineModule>().ToArray();
        // Each module's empty state, taken now while it is still empty: a snapshot written before a
        // module existed restores that module to it (nothing in the log before then concerns it).
        _emptyStates = _modules.ToDictionary(m => m.Id, m =>
        {
            using var empty = new MemoryStream();
            m.WriteSnapshot(empty);
            return empty.ToArray();
        });
    }

    private readonly Dictionary<ModuleId, byte[]> _emptyStates;

    /// <summary>The modules, in id order.</summary>
    public IReadOnlyList<IStateMachineModule> Modules => _modules;

    /// <summary>The index of the last entry applied, or restored from a snapshot; 0 before any.</summary>
    public ulong AppliedIndex { get; private set; }

    /// <summary>The term of the entry at <see cref="AppliedIndex"/>.</summary>
    public ulong AppliedTerm { get; private set; }

    /// <summary>The module with <paramref name="id"/>, or null if this composite lacks it.</summary>
    public IStateMachineModule? Find(ModuleId id) => _byId[id.Value];

    /// <inheritdoc/>
    /// <exception cref="InvariantViolationException">The entry is not after the last applied one.</exception>
    /// <exception cref="FormatException">A Normal entry's payload is not a well-formed batch.</exception>
    /// <exception cref="InvalidOperationException">A command names a module this composite lacks.</exception>
    public void Apply(in Entry entry)
    {
        if (entry.Index <= AppliedIndex)
        {
            Invariant.Fail(
                $"entry {Describe(entry)} applied after entry {AppliedIndex}: apply must go in strictly increasing index order");
        }
        // Terms never decrease along a log; a smaller one means entries from two different logs.
        if (entry.Term < AppliedTerm)
        {
            Invariant.Fail($"entry {Describe(entry)} has a smaller term than the applied entry {AppliedTerm}/{AppliedIndex}");
        }
        switch (entry.Type)
        {
            case EntryType.Normal:
                ApplyBatch(entry);
                break;
            case EntryType.Membership:
            case EntryType.Noop:
                break;
            default:
                throw new InvalidOperationException($"entry {Describe(entry)} has unknown type {(byte)entry.Type}");
        }
        AppliedIndex = entry.Index;
        AppliedTerm = entry.Term;
    }

    private void ApplyBatch(in Entry entry)
    {
        var payload = entry.Data.Span;
        // Check the whole batch before applying any of it: a malformed or misaddressed entry is fatal,
        // and failing before the first command leaves the state as it was.
        try
        {
            var check = new CommandBatchReader(payload);
            while (check.TryReadNext(out var module, out _))
            {
                if (_byId[module.Value] is null)
                {
                    throw new InvalidOperationException(
                        $"entry {Describe(entry)} has a command for {module}, which this node does not run: "
                        + "every node of a cluster must run the same modules");
                }
            }
        }
        catch (FormatException e)
        {
            throw new FormatException($"entry {Describe(entry)}: {e.Message}", e);
        }

        var reader = new CommandBatchReader(payload);
        for (int position = 0; reader.TryReadNext(out var module, out var command); position++)
        {
            var context = new CommandContext(entry.Index, entry.Term, position);
            _byId[module.Value]!.Apply(context, command);
        }
    }

    private static string Describe(in Entry entry) => $"{entry.Term}/{entry.Index}";
}
