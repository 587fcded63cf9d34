using Colony.Core;

namespace Colony.Compute.Jobs;

/// <summary>
/// What a client asked to run. <paramref name="Reducers"/> may be 0 (a map-only job: maps write the
/// output). <paramref name="Settings"/> are opaque to the Jobs module (the engine's configuration).
/// A higher <paramref name="Priority"/> is more important (see the scheduler's fair share).
/// </summary>
public sealed record JobSpec(
    string Name, string User, int Priority, IReadOnlyList<string> Inputs, string Output, int Reducers,
    IReadOnlyDictionary<string, string> Settings)
{
    public bool Equals(JobSpec? other) =>
        other is not null && Name == other.Name && User == other.User && Priority == other.Priority
        && Output == other.Output && Reducers == other.Reducers && Inputs.SequenceEqual(other.Inputs)
        && Settings.Count == other.Settings.Count
        && Settings.All(kv => other.Settings.TryGetValue(kv.Key, out var v) && v == kv.Value);

    public override int GetHashCode() => HashCode.Combine(Name, User, Priority, Output, Reducers, Inputs.Count, Settings.Count);
}

/// <summary>The input of one map task: a byte range of a file, and the nodes holding a replica of it.</summary>
public sealed record InputSplit(string Path, long Offset, long Length, IReadOnlyList<NodeId> Hosts)
{
    public bool Equals(InputSplit? other) =>
        other is not null && Path == other.Path && Offset == other.Offset && Length == other.Length && Hosts.SequenceEqual(other.Hosts);

    public override int GetHashCode() => HashCode.Combine(Path, Offset, Length, Hosts.Count);
}
