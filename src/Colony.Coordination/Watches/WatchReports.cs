namespace Colony.Coordination.Watches;

/// <summary>The figures the <c>wchs</c> four-letter word prints.</summary>
/// <param name="Connections">Connections holding at least one watch.</param>
/// <param name="Paths">Distinct watched paths.</param>
/// <param name="Watches">Watched (connection, path) pairs, whatever kinds each pair holds.</param>
public readonly record struct WatchSummary(int Connections, int Paths, int Watches);

/// <summary>One line of the <c>wchp</c> dump: a path and the connections watching it, ascending.</summary>
public sealed record PathWatchers(string Path, IReadOnlyList<long> WatcherIds);

/// <summary>One line of the <c>wchc</c> dump: a connection and the paths it watches, in ordinal order.</summary>
public sealed record WatcherPaths(long WatcherId, IReadOnlyList<string> Paths);
