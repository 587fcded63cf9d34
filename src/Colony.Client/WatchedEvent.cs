using Colony.Coordination;

namespace Colony.Client;

/// <summary>
/// A watch notification, or a session-state change (<see cref="EventType.None"/> with a null path).
/// <see cref="Path"/> is the client's view of the path (chroot removed).
/// </summary>
public sealed record WatchedEvent(EventType Type, KeeperState State, string? Path)
{
    public override string ToString() => Path is null ? $"{Type} {State}" : $"{Type} {State} {Path}";
}

/// <summary>
/// Receives watch events. Callbacks run one at a time, in the order the server sent the events, on
/// the client's event loop: a slow callback delays the ones after it, not the connection.
/// </summary>
public delegate void Watcher(WatchedEvent watchedEvent);

public sealed class SessionStateChangedEventArgs(KeeperState state) : EventArgs
{
    public KeeperState State { get; } = state;
}
