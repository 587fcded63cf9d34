using System.Text.Json.Serialization;

namespace Colony.Node.Compute;

/// <summary>A worker's beat to the leader: what it can run, what it runs, and what finished since it was last heard.</summary>
public sealed record WorkerHeartbeat(
    ulong NodeId, string Http, string? Rack, int MapSlots, int ReduceSlots,
    IReadOnlyList<RunningAttemptReport> Running, IReadOnlyList<FinishedAttemptReport> Finished, IReadOnlyList<string> ActiveJobs);

/// <summary>An attempt the worker is running, and how far it has got (0..1).</summary>
public sealed record RunningAttemptReport(string Attempt, double Progress);

/// <summary>An attempt that ended on the worker. Reported until the leader acknowledges it.</summary>
public sealed record FinishedAttemptReport(string Attempt, bool Succeeded, string? Output, IReadOnlyDictionary<string, long>? Counters, string? Error);

/// <summary>The leader's answer: attempts to start and stop, jobs to forget, and the finished reports it recorded.</summary>
public sealed record WorkerHeartbeatResponse(
    IReadOnlyList<AttemptLaunch> Launches, IReadOnlyList<string> Kills, IReadOnlyList<string> FinishedJobs, IReadOnlyList<string> Acknowledged);

/// <summary>Everything an executor needs to run one attempt. <paramref name="User"/> is whom the job's tasks act as.</summary>
public sealed record AttemptLaunch(
    string Attempt, string Job, string Kind, int Index, string? InputPath, long SplitOffset, long SplitLength,
    int Maps, int Reducers, string Output, IReadOnlyDictionary<string, string> Settings, string User);

/// <summary>Where the reduces of a job can fetch map outputs from: one entry per succeeded map.</summary>
public sealed record MapOutputsView(int Maps, string State, IReadOnlyList<MapOutputView> Outputs);

/// <summary>A succeeded map's output: fetch partition P from <c>Url/P</c>.</summary>
public sealed record MapOutputView(int Map, string Attempt, string Url);

/// <summary>A reduce could not fetch a map's output.</summary>
public sealed record FetchFailureReport(string MapAttempt, string Reporter, string Reason);

/// <summary>A line between a worker and an executor process, in either direction.</summary>
public sealed record ExecutorMessage
{
    /// <summary>assign | run | kill (to the executor); progress | done | log (from it).</summary>
    public required string Op { get; init; }

    /// <summary>assign: the job a standby executor now serves, and its work directory.</summary>
    public string? Job { get; init; }

    public string? Work { get; init; }

    /// <summary>assign: the job's token, which the executor presents for everything it does (never the cluster token).</summary>
    public string? Token { get; init; }

    public string? Attempt { get; init; }
    public AttemptLaunch? Launch { get; init; }
    public double Progress { get; init; }
    public bool Succeeded { get; init; }
    public string? Output { get; init; }
    public IReadOnlyDictionary<string, long>? Counters { get; init; }
    public string? Error { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(WorkerHeartbeat))]
[JsonSerializable(typeof(WorkerHeartbeatResponse))]
[JsonSerializable(typeof(MapOutputsView))]
[JsonSerializable(typeof(FetchFailureReport))]
[JsonSerializable(typeof(ExecutorMessage))]
internal sealed partial class ComputeJson : JsonSerializerContext;
