namespace Colony.IntegrationTests;

/// <summary>`colony demo` end to end: the README's first command, on real node processes.</summary>
public class DemoTests
{
    [Fact]
    public async Task The_demo_survives_the_loss_of_its_leader_and_leaves_a_healthy_cluster()
    {
        string data = Directory.CreateTempSubdirectory("colony-demo-").FullName;
        int basePort = ColonyCli.FindFreeBasePort();
        try
        {
            var (code, output) = await ColonyCli.RunAsync("demo", "--data", data, "--base-port", basePort.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(code == 0, output);
            Assert.Contains("200 of 200", output);
            Assert.Contains("acknowledged writes survived", output);
            Assert.Contains("is alive", output);
            Assert.Contains("still holds /colony-demo/holder-", output);
            var (statusCode, status) = await ColonyCli.RunAsync("status", "--json", "--data", data);
            Assert.Equal(0, statusCode);
            Assert.Equal(3, status.Split("\"healthy\": true").Length - 1);
        }
        finally
        {
            await ColonyCli.RunAsync("down", "--data", data);
            Directory.Delete(data, recursive: true);
        }
    }
}
