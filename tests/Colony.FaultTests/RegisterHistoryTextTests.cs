using Colony.FaultTests.Workloads;
using Colony.Testing.Linearizability;
using Xunit.Abstractions;
using static Colony.FaultTests.RegisterOps;

namespace Colony.FaultTests;

public sealed class RegisterHistoryTextTests(ITestOutputHelper output)
{
    private static readonly Operation<RegisterInput, RegisterOutput>[] Sample =
    [
        Write(1, "1-1", 1, 10, 20),
        Read(2, "1-1", 1, 15, 25),
        Cas(3, 1, "3-1", 2, 30, 40),
        FailedCas(1, 1, "1-2", 35, 45),
        PendingWrite(2, "2-1", 50),
        Read(3, "2-1", 3, 60, 70),
        PendingRead(1, 80),
        PendingCas(3, 3, "3-2", 90),
    ];

    [Fact]
    public void A_history_as_a_campaign_writes_it_reads_back_to_the_same_operations()
    {
        var lines = Sample.Select(o => RegisterModel.Instance.Describe(o)).ToList();

        var parsed = RegisterHistoryText.Parse(lines);

        Assert.Equal(Sample.Length, parsed.Count);
        for (int i = 0; i < Sample.Length; i++)
        {
            Assert.Equal(lines[i], RegisterModel.Instance.Describe(parsed[i]));
            Assert.Equal((Sample[i].ClientId, Sample[i].Input, Sample[i].CallTime, Sample[i].ReturnTime, Sample[i].IsPending),
                (parsed[i].ClientId, parsed[i].Input, parsed[i].CallTime, parsed[i].ReturnTime, parsed[i].IsPending));
            if (!Sample[i].IsPending)
            {
                Assert.Equal(Sample[i].Output, parsed[i].Output);
            }
        }
    }

    [Fact]
    public void A_line_that_is_not_an_operation_is_refused_with_its_number()
    {
        var error = Assert.Throws<FormatException>(() => RegisterHistoryText.Parse(["client 1 [1, 2]: read(/k) -> \"a\" v1", "garbage"]));
        Assert.Contains("line 2", error.Message, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => RegisterHistoryText.Parse(["client 1 [1, 2]: cas(/k, \"a\") -> ok v1"]));
    }

    /// <summary>
    /// Checks a kept history again (<c>tools/faults/recheck-history.sh FILE</c> names it in
    /// COLONY_FAULTS_HISTORY) with the campaign's budget; without one, the sample above, written out and read back.
    /// </summary>
    [Fact]
    public void A_kept_history_checks_again_as_linearizable()
    {
        var file = Environment.GetEnvironmentVariable("COLONY_FAULTS_HISTORY");
        var lines = file is { Length: > 0 } ? File.ReadLines(file) : Sample.Select(o => RegisterModel.Instance.Describe(o));
        var history = RegisterHistoryText.Parse(lines);

        var result = LinearizabilityChecker.Check(RegisterModel.Instance, history, new CheckBudget { MaxStepsPerPartition = 20_000_000 });

        output.WriteLine($"{file ?? "the sample"}: {history.Count} operations, {result.Outcome}, {result.Steps} search steps");
        Assert.True(result.IsOk, result.Explanation);
    }
}
