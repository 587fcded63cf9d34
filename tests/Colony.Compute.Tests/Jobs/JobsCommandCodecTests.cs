using Colony.Compute.Jobs;
using Colony.Core;
using static Colony.Compute.Jobs.JobsCommand;
using static Colony.Compute.Tests.Fixture;

namespace Colony.Compute.Tests.Jobs;

public sealed class JobsCommandCodecTests
{
    private static readonly TaskId Task = new(new JobId(17), TaskKind.Reduce, 3);
    private static readonly AttemptId Attempt = new(new TaskId(new JobId(17), TaskKind.Map, 5), 2);

    public static TheoryData<JobsCommand> Commands() =>
    [
        new Submit(Spec(reducers: 3, priority: -2), [Split(0, 1, 2), Split(1), new InputSplit("/é/ü", long.MaxValue, 0, [new NodeId(ulong.MaxValue)])], -5),
        new Submit(new JobSpec("", "", int.MinValue, [], "", 0, new Dictionary<string, string>()), [], 0),
        new StartAttempt(Task, 7, Locality.RackLocal, true, 1_700_000_000_000),
        new StartAttempt(Task, 1, Locality.Remote, false, 0),
        new AttemptSucceeded(Attempt, "http://10.0.0.2:9870/shuffle", new Dictionary<string, long> { ["b"] = -1, ["a"] = long.MaxValue }, 12),
        new AttemptSucceeded(Attempt, null, new Dictionary<string, long>(), 12),
        new AttemptFailed(Attempt, "System.IO.IOException: disk\nstack…", 13),
        new AttemptKilled(Attempt, "worker 7 lost", 14),
        new MapOutputLost(Attempt, "3 fetch failures", 15),
        new CommitTask(Task, 16),
        new FinishJob(new JobId(17), JobState.Failed, "commit failed", 17),
        new FinishJob(new JobId(1), JobState.Succeeded, null, 18),
        new KillJob(new JobId(17), "killed by ann", 19),
    ];

    [Theory]
    [MemberData(nameof(Commands))]
    public void EveryCommandRoundTrips(JobsCommand command)
    {
        var bytes = JobsCommandCodec.Encode(command);
        Assert.Equal(command, JobsCommandCodec.Decode(bytes));
        Assert.Equal(bytes, JobsCommandCodec.Encode(JobsCommandCodec.Decode(bytes)));
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void EveryTruncationIsAFormatException(JobsCommand command)
    {
        var bytes = JobsCommandCodec.Encode(command);
        for (int length = 0; length < bytes.Length; length++)
        {
            Assert.Throws<FormatException>(() => JobsCommandCodec.Decode(bytes.AsSpan(0, length)));
        }
        Assert.Throws<FormatException>(() => JobsCommandCodec.Decode([.. bytes, 0]));
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void CorruptedBytesNeverThrowAnythingButFormatException(JobsCommand command)
    {
        var bytes = JobsCommandCodec.Encode(command);
        for (int i = 0; i < bytes.Length; i++)
        {
            foreach (byte value in new byte[] { 0, 1, 2, 5, 0x7f, 0x80, 0xff })
            {
                var corrupt = (byte[])bytes.Clone();
                corrupt[i] = value;
                try
                {
                    JobsCommandCodec.Decode(corrupt);
                }
                catch (FormatException)
                {
                }
            }
        }
    }

    [Fact]
    public void TagsAndVersionAreFrozen()
    {
        Assert.Equal(1, JobsCommandCodec.Version);
        var expected = new Dictionary<JobsCommandCodec.Tag, byte>
        {
            [JobsCommandCodec.Tag.Submit] = 1,
            [JobsCommandCodec.Tag.StartAttempt] = 2,
            [JobsCommandCodec.Tag.AttemptSucceeded] = 3,
            [JobsCommandCodec.Tag.AttemptFailed] = 4,
            [JobsCommandCodec.Tag.AttemptKilled] = 5,
            [JobsCommandCodec.Tag.MapOutputLost] = 6,
            [JobsCommandCodec.Tag.CommitTask] = 7,
            [JobsCommandCodec.Tag.FinishJob] = 8,
            [JobsCommandCodec.Tag.KillJob] = 9,
        };
        Assert.Equal(expected.Count, Enum.GetValues<JobsCommandCodec.Tag>().Length);
        foreach (var (tag, value) in expected)
        {
            Assert.Equal(value, (byte)tag);
        }
    }

    [Fact]
    public void PersistedEnumValuesAreFrozen()
    {
        Assert.Equal([1, 2], Enum.GetValues<TaskKind>().Select(v => (int)v));
        Assert.Equal([1, 2, 3, 4, 5], Enum.GetValues<JobState>().Select(v => (int)v));
        Assert.Equal([1, 2, 3, 4, 5], Enum.GetValues<TaskState>().Select(v => (int)v));
        Assert.Equal([1, 2, 3, 4], Enum.GetValues<AttemptState>().Select(v => (int)v));
        Assert.Equal([1, 2, 3], Enum.GetValues<Locality>().Select(v => (int)v));
        Assert.Equal(JobState.Committing, (JobState)2);
        Assert.Equal(Locality.RackLocal, (Locality)2);
    }

    [Fact]
    public void EncodingsAreFrozen()
    {
        // version, tag, job 17, kind reduce, index 3, node 7, rack-local, speculative, time 300 zigzag (600 = d8 04).
        Assert.Equal(
            Convert.FromHexString("01021102030702" + "01" + "d804"),
            JobsCommandCodec.Encode(new StartAttempt(Task, 7, Locality.RackLocal, true, 300)));
        // version, tag, job 17, kind map, index 5, number 2, reason "x", time 1 zigzag.
        Assert.Equal(
            Convert.FromHexString("010511010502" + "0178" + "02"),
            JobsCommandCodec.Encode(new AttemptKilled(Attempt, "x", 1)));
    }

    [Fact]
    public void UnknownVersionsTagsAndEnumValuesAreRejected()
    {
        var start = JobsCommandCodec.Encode(new StartAttempt(Task, 7, Locality.RackLocal, true, 300));
        Assert.Throws<FormatException>(() => JobsCommandCodec.Decode([2, .. start[1..]]));
        Assert.Throws<FormatException>(() => JobsCommandCodec.Decode([1, 10, .. start[2..]]));
        var badKind = (byte[])start.Clone();
        badKind[3] = 3;
        Assert.Throws<FormatException>(() => JobsCommandCodec.Decode(badKind));
        var badLocality = (byte[])start.Clone();
        badLocality[6] = 4;
        Assert.Throws<FormatException>(() => JobsCommandCodec.Decode(badLocality));
        var zeroAttempt = JobsCommandCodec.Encode(new AttemptKilled(Attempt, "x", 1));
        zeroAttempt[5] = 0;
        Assert.Throws<FormatException>(() => JobsCommandCodec.Decode(zeroAttempt));
        var finish = JobsCommandCodec.Encode(new FinishJob(new JobId(1), JobState.Failed, null, 0));
        finish[3] = 9;
        Assert.Throws<FormatException>(() => JobsCommandCodec.Decode(finish));
    }

    [Fact]
    public void DuplicateDictionaryKeysAreRejected()
    {
        var bytes = JobsCommandCodec.Encode(new AttemptSucceeded(Attempt, null, new Dictionary<string, long> { ["a"] = 1, ["b"] = 2 }, 0));
        // ... count 2, "a" 1, "b" 2, time: rename "b" to "a".
        int b = Array.LastIndexOf(bytes, (byte)'b');
        bytes[b] = (byte)'a';
        Assert.Throws<FormatException>(() => JobsCommandCodec.Decode(bytes));
    }

    [Fact]
    public void OverLongFieldsAreRefusedWhenEncoding()
    {
        string huge = new('e', JobsLimits.MaxMessageBytes + 1);
        Assert.Throws<ArgumentException>(() => JobsCommandCodec.Encode(new AttemptFailed(Attempt, huge, 0)));
        Assert.Equal(JobsLimits.MaxMessageBytes, JobsLimits.Clip(huge).Length);
        Assert.Equal("日本", JobsLimits.Clip("日本語", 7));
        var many = Enumerable.Range(0, JobsLimits.MaxHostsPerSplit + 1).Select(i => new NodeId((ulong)i)).ToArray();
        Assert.Throws<ArgumentException>(() => JobsCommandCodec.Encode(new Submit(Spec(), [new InputSplit("/a", 0, 1, many)], 0)));
    }
}
