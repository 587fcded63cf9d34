using Colony.Consensus;
using Colony.Consensus.StateMachine;

namespace Colony.Node.Hosting;

/// <summary>
/// A state machine module whose every call runs under a lock, so that other threads can read the
/// module's state under the same lock while the replica loop applies commands. The coordination
/// service uses it to answer reads on its connections' threads.
/// </summary>
internal sealed class GatedModule(IStateMachineModule inner, object gate) : IStateMachineModule
{
    public ModuleId Id => inner.Id;

    public void Apply(in CommandContext context, ReadOnlySpan<byte> command)
    {
        lock (gate)
        {
            inner.Apply(context, command);
        }
    }

    public void WriteSnapshot(Stream destination)
    {
        lock (gate)
        {
            inner.WriteSnapshot(destination);
        }
    }

    public SnapshotWriter CaptureSnapshot()
    {
        // Only the capture needs the lock; the writer then works from what it captured.
        lock (gate)
        {
            return inner.CaptureSnapshot();
        }
    }

    public void Restore(Stream source)
    {
        lock (gate)
        {
            inner.Restore(source);
        }
    }
}
