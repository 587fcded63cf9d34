namespace Colony.Cli;

/// <summary>
/// Stops a held command with everything it started: SIGTERM to the whole tree, then SIGKILL to
/// whatever of it still runs after the grace period. Signalling only the command would let a
/// script's children run on: a shell that gets SIGTERM dies at once and leaves them, or, with a
/// trap, waits for its foreground child first. Either way they would run unprotected once the hold
/// is released, so the hold is released only after the whole tree is gone (<see cref="FinishAsync"/>).
/// </summary>
/// <param name="root">The command; null if it has exited already, and then there is nothing to stop.</param>
internal sealed class CommandStopper(ProcessTree.Member? root, TimeSpan gracePeriod)
{
    public const int SigKill = 9;
    public const int SigTerm = 15;

    private readonly Lock _gate = new();
    private List<ProcessTree.Member>? _stopping; // every process signalled so far; set by the first Stop

    /// <summary>Sends SIGTERM to the command and its descendants, and SIGKILL after the grace period. Any thread; only the first call acts.</summary>
    public void Stop()
    {
        List<ProcessTree.Member> tree;
        lock (_gate)
        {
            if (_stopping is not null)
            {
                return;
            }
            _stopping = tree = root is { } command ? ProcessTree.Of(command) : [];
        }
        ProcessTree.Signal(tree, SigTerm);
        _ = KillAfterGraceAsync();
    }

    /// <summary>
    /// Called once the command itself has exited. If it was being stopped, waits until every process
    /// of its tree has exited too (SIGKILL comes for those still running when the grace period ends).
    /// </summary>
    public async Task FinishAsync()
    {
        while (true)
        {
            List<ProcessTree.Member>? tree;
            lock (_gate)
            {
                tree = _stopping;
            }
            if (tree is null || !tree.Any(ProcessTree.IsAlive))
            {
                return;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(50)).ConfigureAwait(false);
        }
    }

    private async Task KillAfterGraceAsync()
    {
        await Task.Delay(gracePeriod).ConfigureAwait(false);
        List<ProcessTree.Member> tree;
        lock (_gate)
        {
            // The tree as it was at SIGTERM, and as it is now if the command still runs.
            _stopping = tree = root is { } command ? [.. _stopping!, .. ProcessTree.Of(command)] : _stopping!;
        }
        ProcessTree.Signal(tree, SigKill);
    }
}
