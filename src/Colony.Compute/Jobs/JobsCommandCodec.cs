using System.Buffers;
using static Colony.Compute.Jobs.JobsCommand;

namespace Colony.Compute.Jobs;

/// <summary>
/// The log encoding of <see cref="JobsCommand"/>: <c>version u8 = 1, tag u8, fields</c>, in the primitives
/// of <see cref="JobsWriter"/> (strings UTF-8 with a varint length, times zigzag, ids varint, enums and
/// flags u8, optional values as flag + value; a task id is job varint, kind u8, index varint; an attempt id
/// is a task id and number varint). Dictionaries are written in ordinal key order.
/// Tags are persisted in every log: never renumber one, never reuse a retired one.
/// </summary>
public static class JobsCommandCodec
{
    public const byte Version = 1;

    /// <summary>The persisted tag of each command.</summary>
    public enum Tag : byte
    {
        Submit = 1,
        StartAttempt = 2,
        AttemptSucceeded = 3,
        AttemptFailed = 4,
        AttemptKilled = 5,
        MapOutputLost = 6,
        CommitTask = 7,
        FinishJob = 8,
        KillJob = 9,
    }

    public static Tag TagOf(JobsCommand command) => command switch
    {
        Submit => Tag.Submit,
        StartAttempt => Tag.StartAttempt,
        AttemptSucceeded => Tag.AttemptSucceeded,
        AttemptFailed => Tag.AttemptFailed,
        AttemptKilled => Tag.AttemptKilled,
        MapOutputLost => Tag.MapOutputLost,
        CommitTask => Tag.CommitTask,
        FinishJob => Tag.FinishJob,
        KillJob => Tag.KillJob,
        _ => throw new ArgumentException($"unknown jobs command {command.GetType().Name}", nameof(command)),
    };

    /// <summary>Encodes a command. Throws <see cref="ArgumentException"/> if a field is over a <see cref="JobsLimits"/> bound.</summary>
    public static byte[] Encode(JobsCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var buffer = new ArrayBufferWriter<byte>(64);
        var w = new JobsWriter(buffer);
        w.Byte(Version);
        w.Byte((byte)TagOf(command));
        switch (command)
        {
            case Submit c:
                JobsFields.Spec(w, c.Spec);
                w.Count(c.Splits.Count, JobsLimits.MaxSplits, "split count");
                foreach (var split in c.Splits)
                {
                    JobsFields.Split(w, split);
                }
                w.Signed(c.At);
                break;
            case StartAttempt c:
                w.Task(c.Task); w.Node(c.Node); w.Byte((byte)c.Locality); w.Bool(c.Speculative); w.Signed(c.At);
                break;
            case AttemptSucceeded c:
                w.Attempt(c.Attempt); w.OptionalString(c.Output, JobsLimits.MaxStringBytes, "output");
                JobsFields.Counters(w, c.Counters); w.Signed(c.At);
                break;
            case AttemptFailed c:
                w.Attempt(c.Attempt); Message(w, c.Error); w.Signed(c.At);
                break;
            case AttemptKilled c:
                w.Attempt(c.Attempt); Message(w, c.Reason); w.Signed(c.At);
                break;
            case MapOutputLost c:
                w.Attempt(c.Attempt); Message(w, c.Reason); w.Signed(c.At);
                break;
            case CommitTask c:
                w.Task(c.Task); w.Signed(c.At);
                break;
            case FinishJob c:
                w.Job(c.Job); w.Byte((byte)c.Final); w.OptionalString(c.Error, JobsLimits.MaxMessageBytes, "error"); w.Signed(c.At);
                break;
            case KillJob c:
                w.Job(c.Job); Message(w, c.Reason); w.Signed(c.At);
                break;
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Decodes one command; throws <see cref="FormatException"/> if it is malformed or has trailing bytes.</summary>
    public static JobsCommand Decode(ReadOnlySpan<byte> bytes)
    {
        var r = new JobsReader(bytes);
        byte version = r.Byte("jobs command version");
        if (version != Version)
        {
            throw new FormatException($"jobs command has version {version}; this node reads version {Version}");
        }
        byte tag = r.Byte("jobs command tag");
        JobsCommand command = (Tag)tag switch
        {
            Tag.Submit => new Submit(JobsFields.Spec(ref r), Splits(ref r), r.Signed("time")),
            Tag.StartAttempt => new StartAttempt(r.Task("task"), r.Node("node"), r.Enum<Locality>("locality"),
                r.Bool("speculative"), r.Signed("time")),
            Tag.AttemptSucceeded => new AttemptSucceeded(r.Attempt("attempt"), r.OptionalString(JobsLimits.MaxStringBytes, "output"),
                JobsFields.Counters(ref r), r.Signed("time")),
            Tag.AttemptFailed => new AttemptFailed(r.Attempt("attempt"), Message(ref r, "error"), r.Signed("time")),
            Tag.AttemptKilled => new AttemptKilled(r.Attempt("attempt"), Message(ref r, "reason"), r.Signed("time")),
            Tag.MapOutputLost => new MapOutputLost(r.Attempt("attempt"), Message(ref r, "reason"), r.Signed("time")),
            Tag.CommitTask => new CommitTask(r.Task("task"), r.Signed("time")),
            Tag.FinishJob => new FinishJob(r.Job("job"), r.Enum<JobState>("final state"),
                r.OptionalString(JobsLimits.MaxMessageBytes, "error"), r.Signed("time")),
            Tag.KillJob => new KillJob(r.Job("job"), Message(ref r, "reason"), r.Signed("time")),
            _ => throw new FormatException($"jobs command has unknown tag {tag}"),
        };
        r.End("jobs command");
        return command;
    }

    private static void Message(JobsWriter w, string text) => w.String(text, JobsLimits.MaxMessageBytes, "message");

    private static string Message(ref JobsReader r, string what) => r.String(JobsLimits.MaxMessageBytes, what);

    private static InputSplit[] Splits(ref JobsReader r)
    {
        // A split is at least a length byte, two times and a host count.
        var splits = new InputSplit[r.Count(JobsLimits.MaxSplits, 4, "split count")];
        for (int i = 0; i < splits.Length; i++)
        {
            splits[i] = JobsFields.Split(ref r);
        }
        return splits;
    }
}
