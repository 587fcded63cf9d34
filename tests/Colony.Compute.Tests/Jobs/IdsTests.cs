using Colony.Compute.Jobs;

namespace Colony.Compute.Tests.Jobs;

public sealed class IdsTests
{
    private static readonly JobId Job17 = new(17);

    [Fact]
    public void IdsPrintInTheirFixedForms()
    {
        Assert.Equal("job-000017", Job17.ToString());
        Assert.Equal("job-1234567", new JobId(1234567).ToString());
        Assert.Equal("job-000017-m-00003", new TaskId(Job17, TaskKind.Map, 3).ToString());
        Assert.Equal("job-000017-r-00000", new TaskId(Job17, TaskKind.Reduce, 0).ToString());
        Assert.Equal("job-000017-m-00003-a2", new AttemptId(new TaskId(Job17, TaskKind.Map, 3), 2).ToString());
    }

    [Theory]
    [InlineData("job-000017")]
    [InlineData("job-1234567")]
    public void JobIdsParseBack(string text)
    {
        Assert.True(JobId.TryParse(text, out var id));
        Assert.Equal(text, id.ToString());
    }

    [Fact]
    public void TaskAndAttemptIdsParseBack()
    {
        var attempt = new AttemptId(new TaskId(new JobId(9_000_001), TaskKind.Reduce, 123_456), 11);
        Assert.True(AttemptId.TryParse(attempt.ToString(), out var parsed));
        Assert.Equal(attempt, parsed);
        Assert.True(TaskId.TryParse("job-000017-m-00003", out var task));
        Assert.Equal(new TaskId(Job17, TaskKind.Map, 3), task);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("job-")]
    [InlineData("job-17")]
    [InlineData("job-+00017")]
    [InlineData("JOB-000017")]
    [InlineData("job-000017 ")]
    [InlineData("job-00001a")]
    public void MalformedJobIdsDoNotParse(string? text) => Assert.False(JobId.TryParse(text, out _));

    [Theory]
    [InlineData("job-000017-x-00003")]
    [InlineData("job-000017-m-3")]
    [InlineData("job-000017-m--0003")]
    [InlineData("job-000017-m-00003-a0")]
    [InlineData("job-000017-m-00003-a")]
    [InlineData("job-000017-m-00003-a02")]
    [InlineData("job-000017-m-00003-b2")]
    [InlineData("job-000017-m-99999999999-a1")]
    public void MalformedAttemptIdsDoNotParse(string text) => Assert.False(AttemptId.TryParse(text, out _));

    [Fact]
    public void MalformedTaskIdsDoNotParse()
    {
        Assert.False(TaskId.TryParse("job-000017-m-00003-a1", out _));
        Assert.False(TaskId.TryParse("m-00003", out _));
        Assert.False(TaskId.TryParse(null, out _));
    }

    [Fact]
    public void AttemptIdsOrderByJobKindIndexNumber()
    {
        var a = new AttemptId(new TaskId(Job17, TaskKind.Map, 2), 3);
        var b = new AttemptId(new TaskId(Job17, TaskKind.Map, 10), 1);
        var c = new AttemptId(new TaskId(Job17, TaskKind.Reduce, 0), 1);
        var d = new AttemptId(new TaskId(new JobId(18), TaskKind.Map, 0), 1);
        Assert.Equal([a, b, c, d], new[] { d, c, b, a }.Order().ToArray());
    }
}
