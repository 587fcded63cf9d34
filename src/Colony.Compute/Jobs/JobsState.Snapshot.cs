using System.Buffers;
using Colony.Core;

namespace Colony.Compute.Jobs;

/// <remarks>
/// Snapshot layout (persisted; a new layout needs a new version), in the primitives of <see cref="JobsWriter"/>:
/// <code>
/// version u8 = 1, next job id varint,
/// job count varint × (id varint, spec, state u8, submitted zigzag, finished? zigzag, error? str,
///                     excluded count varint × node varint,
///                     map count varint × (split, task), reduce count varint × task)   in id order
/// task:    state u8, committed u8, succeeded attempt number varint (0: none),
///          attempt count varint × (node varint, state u8, started zigzag, finished? zigzag,
///                                  speculative u8, locality u8, error? str, counters, output? str)
/// spec, split, counters: as in the command codec; x? is a presence flag u8 then x.
/// </code>
/// The order is fixed, so equal states write equal bytes. No checksum: the composite snapshot checksums
/// every section.
/// </remarks>
public sealed partial class JobsState
{
    public const byte SnapshotVersion = 1;

    /// <summary>Most jobs a snapshot may hold: the finished ones kept, and a generous bound on active ones.</summary>
    private const int MaxSnapshotJobs = 1_000_000;

    private const int MaxAttemptsPerTask = 1_000_000;

    /// <summary>Writes the whole state to <paramref name="destination"/>.</summary>
    public void WriteSnapshot(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var buffer = new ArrayBufferWriter<byte>(4096);
        var w = new JobsWriter(buffer);
        w.Byte(SnapshotVersion);
        w.Varint(NextJobId);
        w.Varint((ulong)_jobs.Count);
        foreach (var job in _jobs.Values)
        {
            w.Job(job.Id);
            JobsFields.Spec(w, job.Spec);
            w.Byte((byte)job.State);
            w.Signed(job.SubmittedAt);
            w.OptionalSigned(job.FinishedAt);
            w.OptionalString(job.Error, JobsLimits.MaxMessageBytes, "job error");
            w.Varint((ulong)job.Excluded.Count);
            foreach (var node in job.Excluded)
            {
                w.Node(node);
            }
            w.Varint((ulong)job.MapList.Count);
            foreach (var task in job.MapList)
            {
                JobsFields.Split(w, task.Split!);
                WriteTask(w, task);
            }
            w.Varint((ulong)job.ReduceList.Count);
            foreach (var task in job.ReduceList)
            {
                WriteTask(w, task);
            }
            if (buffer.WrittenCount >= 1 << 20)
            {
                destination.Write(buffer.WrittenSpan);
                buffer.ResetWrittenCount();
            }
        }
        destination.Write(buffer.WrittenSpan);
    }

    private static void WriteTask(JobsWriter w, TaskView task)
    {
        w.Byte((byte)task.State);
        w.Bool(task.Committed);
        w.Varint((ulong)(task.Succeeded?.Id.Number ?? 0));
        w.Varint((ulong)task.AttemptList.Count);
        foreach (var a in task.AttemptList)
        {
            w.Node(a.Node);
            w.Byte((byte)a.State);
            w.Signed(a.StartedAt);
            w.OptionalSigned(a.FinishedAt);
            w.Bool(a.Speculative);
            w.Byte((byte)a.Locality);
            w.OptionalString(a.Error, JobsLimits.MaxMessageBytes, "attempt error");
            JobsFields.Counters(w, a.Counters);
            w.OptionalString(a.Output, JobsLimits.MaxStringBytes, "attempt output");
        }
    }

    /// <summary>Replaces the whole state with a snapshot's. On <see cref="FormatException"/> the state is unchanged.</summary>
    public void Restore(Stream source)
    {
        ArgumentNullException.ThrowIfNull(source);
        using var copy = new MemoryStream();
        source.CopyTo(copy);
        var r = new JobsReader(copy.GetBuffer().AsSpan(0, (int)copy.Length));
        byte version = r.Byte("jobs snapshot version");
        if (version != SnapshotVersion)
        {
            throw new FormatException($"jobs snapshot has version {version}; this node reads version {SnapshotVersion}");
        }
        ulong nextJobId = r.Varint("next job id");
        int count = r.Count(MaxSnapshotJobs, 8, "job count");
        var jobs = new SortedDictionary<JobId, JobView>();
        var previous = default(JobId);
        for (int i = 0; i < count; i++)
        {
            var job = ReadJob(ref r);
            if (job.Id.Value == 0 || job.Id.CompareTo(previous) <= 0 || job.Id.Value >= nextJobId)
            {
                throw new FormatException($"job {job.Id} is out of order or not below the next id {nextJobId}");
            }
            previous = job.Id;
            jobs.Add(job.Id, job);
        }
        r.End("jobs snapshot");
        _jobs = jobs;
        _ordered = null;
        NextJobId = nextJobId;
    }

    private static JobView ReadJob(ref JobsReader r)
    {
        var id = r.Job("job id");
        var spec = JobsFields.Spec(ref r);
        var state = r.Enum<JobState>("job state");
        var job = new JobView(id, spec, r.Signed("submitted at"))
        {
            State = state,
            FinishedAt = r.OptionalSigned("finished at"),
            Error = r.OptionalString(JobsLimits.MaxMessageBytes, "job error"),
        };
        int excluded = r.Count(int.MaxValue, 1, "excluded count");
        for (int i = 0; i < excluded; i++)
        {
            job.Excluded.Add(r.Node("excluded node"));
        }
        int maps = r.Count(JobsLimits.MaxSplits, 4, "map count");
        for (int i = 0; i < maps; i++)
        {
            var split = JobsFields.Split(ref r);
            job.MapList.Add(ReadTask(ref r, new TaskId(id, TaskKind.Map, i), split));
        }
        int reduces = r.Count(JobsLimits.MaxReducers, 4, "reduce count");
        if (reduces != spec.Reducers)
        {
            throw new FormatException($"{id} has {reduces} reduce tasks but its spec says {spec.Reducers}");
        }
        for (int i = 0; i < reduces; i++)
        {
            job.ReduceList.Add(ReadTask(ref r, new TaskId(id, TaskKind.Reduce, i), null));
        }
        return job;
    }

    private static TaskView ReadTask(ref JobsReader r, TaskId id, InputSplit? split)
    {
        var task = new TaskView(id, split)
        {
            State = r.Enum<TaskState>("task state"),
            Committed = r.Bool("committed"),
        };
        int succeeded = r.Index(0, MaxAttemptsPerTask, "succeeded attempt");
        int count = r.Count(MaxAttemptsPerTask, 8, "attempt count");
        for (int n = 1; n <= count; n++)
        {
            var node = r.Node("attempt node");
            var state = r.Enum<AttemptState>("attempt state");
            long started = r.Signed("started at");
            long? finished = r.OptionalSigned("finished at");
            bool speculative = r.Bool("speculative");
            var locality = r.Enum<Locality>("locality");
            task.AttemptList.Add(new AttemptView(new AttemptId(id, n), node, started, speculative, locality)
            {
                State = state,
                FinishedAt = finished,
                Error = r.OptionalString(JobsLimits.MaxMessageBytes, "attempt error"),
                Counters = JobsFields.Counters(ref r),
                Output = r.OptionalString(JobsLimits.MaxStringBytes, "attempt output"),
            });
        }
        if (succeeded > 0)
        {
            if (succeeded > count || task.AttemptList[succeeded - 1].State != AttemptState.Succeeded)
            {
                throw new FormatException($"{id}'s succeeded attempt a{succeeded} is missing or did not succeed");
            }
            task.Succeeded = task.AttemptList[succeeded - 1];
        }
        return task;
    }
}
