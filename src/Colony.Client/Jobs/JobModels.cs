using System.Text.Json.Serialization;

namespace Colony.Client.Jobs;

/// <summary>A job to run: what it reads, where it writes, how many reduces, and the engine's settings.</summary>
public sealed record JobRequest
{
    public required string Name { get; init; }
    public string? User { get; init; }
    public int Priority { get; init; }
    public required IReadOnlyList<string> Inputs { get; init; }
    public required string Output { get; init; }
    public int Reducers { get; init; } = 1;
    public Dictionary<string, string> Settings { get; init; } = [];
}

/// <summary>The id the leader gave a submitted job.</summary>
public sealed record JobSubmitted(string Id);

/// <summary>One job, as <c>colony job list</c> and <c>status</c> show it.</summary>
public sealed record JobSummary(
    string Id, string Name, string User, string State, int Priority, long SubmittedAt, long? FinishedAt,
    IReadOnlyList<string> Inputs, string Output, int Maps, int MapsDone, int Reduces, int ReducesDone,
    int RunningAttempts, int FailedAttempts, double MapProgress, double ReduceProgress, double DataLocalFraction, string? Error)
{
    /// <summary>True once the job can no longer change: succeeded, failed or killed.</summary>
    [JsonIgnore]
    public bool IsFinished => State is JobStates.Succeeded or JobStates.Failed or JobStates.Killed;
}

/// <summary>One job with its tasks and counters.</summary>
public sealed record JobDetail(JobSummary Job, IReadOnlyDictionary<string, long> Counters, IReadOnlyList<TaskDetail> Tasks);

/// <summary>One task of a job.</summary>
public sealed record TaskDetail(string Id, string Kind, string State, double Progress, string? Input, IReadOnlyList<AttemptDetail> Attempts);

/// <summary>One attempt at a task: where it ran, how it ended, what it counted.</summary>
public sealed record AttemptDetail(
    string Id, ulong Node, string State, long StartedAt, long? FinishedAt, bool Speculative, string Locality, double Progress,
    string? Error, IReadOnlyDictionary<string, long> Counters);

/// <summary>The job list.</summary>
public sealed record JobList(IReadOnlyList<JobSummary> Jobs);

/// <summary>The names of job states on the wire.</summary>
public static class JobStates
{
    public const string Running = "running";
    public const string Committing = "committing";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Killed = "killed";
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(JobRequest))]
[JsonSerializable(typeof(JobSubmitted))]
[JsonSerializable(typeof(JobSummary))]
[JsonSerializable(typeof(JobDetail))]
[JsonSerializable(typeof(JobList))]
public sealed partial class JobJson : JsonSerializerContext;
