using System.Globalization;

namespace Colony.IntegrationTests;

/// <summary>`colony demo` end to end: the README's first command, on real node processes, with a small corpus.</summary>
public class DemoTests
{
    [Fact]
    public async Task The_demo_counts_words_through_the_loss_of_a_worker_and_leaves_a_healthy_cluster()
    {
        string data = Directory.CreateTempSubdirectory("colony-demo-").FullName;
        int basePort = ColonyCli.FindFreeBasePort();
        try
        {
            var (code, output) = await ColonyCli.RunAsync("demo", "--data", data, "--base-port", basePort.ToString(CultureInfo.InvariantCulture), "--size", "96M");
            Assert.True(code == 0, output + NodeLogTails(data));
            Assert.Contains("killed node", output);
            Assert.Contains("succeeded", output);
            Assert.Contains("The top 20 words", output);
            Assert.Contains("Dashboard: http://", output);
            // The corpus's most frequent word leads the table, and its count is a number.
            Assert.Matches(@"│ 1\s+│ \S+\s+│ [\d,]+\s+│", output);
            await LocalCluster.WaitForAsync(async () => (await ColonyCli.RunAsync("status", "--json", "--data", data)).Output, s => s.Split("\"healthy\": true").Length - 1 == 3,
                TimeSpan.FromSeconds(60), "all three nodes healthy again");
        }
        finally
        {
            await ColonyCli.RunAsync("down", "--data", data);
            Directory.Delete(data, recursive: true);
        }
    }

    /// <summary>The end of every node's log, for a failure message: the data directory is deleted afterwards.</summary>
    private static string NodeLogTails(string data) => string.Concat(Directory.GetFiles(data, "node-*.log").Order(StringComparer.Ordinal)
        .Select(log => $"\n---- {Path.GetFileName(log)} (last 40 lines) ----\n" + string.Join('\n', File.ReadLines(log).TakeLast(40))));
}
