using System.Globalization;
using Colony.FaultTests.Campaigns;
using Colony.FaultTests.Nemeses;
using Colony.FaultTests.Workloads;
using Xunit.Abstractions;

namespace Colony.FaultTests;

/// <summary>
/// The campaign CI runs: five nodes in separate namespaces, clients reading, writing and
/// compare-and-setting znodes while a seeded schedule partitions, kills and pauses nodes and makes
/// their links lossy or slow. Longer
/// runs take COLONY_FAULTS_MINUTES, COLONY_FAULTS_SEED, COLONY_FAULTS_KINDS (a comma-separated
/// list of nemesis kinds) and COLONY_FAULTS_WORKLOADS (of locks, ephemerals, compute, storage); see
/// tools/faults/run-campaign.sh and docs/reliability.md.
/// </summary>
public sealed class CampaignTests(ITestOutputHelper output)
{
    private const int DefaultSeed = 20261127;

    [Fact]
    public async Task Partitions_kills_and_pauses_cause_no_violation_and_lose_no_acknowledged_write()
    {
        var result = await Campaign.RunAsync(new CampaignOptions
        {
            Seed = Setting("COLONY_FAULTS_SEED", DefaultSeed),
            Nodes = Setting("COLONY_FAULTS_NODES", new CampaignOptions().Nodes),
            Length = TimeSpan.FromMinutes(Setting("COLONY_FAULTS_MINUTES", 2.0)),
            Kinds = Environment.GetEnvironmentVariable("COLONY_FAULTS_KINDS") is { Length: > 0 } kinds
                ? [.. kinds.Split(',').Select(Enum.Parse<NemesisKind>)]
                : NemesisKinds.Standard,
            Workloads = Environment.GetEnvironmentVariable("COLONY_FAULTS_WORKLOADS") is { Length: > 0 } workloads
                ? [.. workloads.Split(',').Where(w => w != "register").Select(w => Enum.Parse<WorkloadKind>(w, ignoreCase: true))]
                : new CampaignOptions().Workloads,
            // CI (no length given) skips timing re-replication after a data node dies: ~40 s more.
            Storage = new StorageWorkloadOptions { TimeReReplication = Environment.GetEnvironmentVariable("COLONY_FAULTS_MINUTES") is { Length: > 0 } },
            RunDirectory = Environment.GetEnvironmentVariable("COLONY_FAULTS_RUN_DIR") is { Length: > 0 } run ? run : null,
            KeepDirectory = Environment.GetEnvironmentVariable("COLONY_FAULTS_KEEP")
                ?? Path.Combine(Path.GetTempPath(), "colony-fault-campaigns"),
            KeepAlways = Environment.GetEnvironmentVariable("COLONY_FAULTS_KEEP_ALWAYS") == "1",
        }, output.WriteLine);
        output.WriteLine(result.Report());
        await WriteReportAsync(result);

        Assert.True(result.Counts.Ok > 0, "the workload did nothing");
        Assert.Equal(0, result.LostWrites);
        Assert.True(result.Valid, result.Report());
    }

    [Fact]
    public async Task A_client_answering_reads_from_a_stale_cache_is_reported_as_a_violation()
    {
        var result = await Campaign.RunAsync(new CampaignOptions
        {
            Seed = 7,
            Nodes = 3,
            Length = TimeSpan.FromSeconds(15),
            Kinds = [NemesisKind.MajorityMinority],
            Workload = new RegisterWorkloadOptions { Clients = 3, Keys = 2, InjectStaleReads = true },
            Workloads = [],
        }, output.WriteLine);
        output.WriteLine(result.Report());

        var linearizable = Assert.Single(result.Verdicts, v => v.Checker.StartsWith("linearizable", StringComparison.Ordinal));
        Assert.False(linearizable.Valid, "a stale read went unnoticed");
        Assert.Contains("VIOLATION", result.Report(), StringComparison.Ordinal);
    }

    /// <summary>Where a run can leave its report for a person (the long campaign script prints it).</summary>
    private static async Task WriteReportAsync(CampaignResult result)
    {
        if (Environment.GetEnvironmentVariable("COLONY_FAULTS_REPORT") is { Length: > 0 } path)
        {
            await File.WriteAllTextAsync(path, result.Report());
        }
    }

    private static T Setting<T>(string name, T fallback) where T : IParsable<T> =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } text ? T.Parse(text, CultureInfo.InvariantCulture) : fallback;
}
