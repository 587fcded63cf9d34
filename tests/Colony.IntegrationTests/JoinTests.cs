using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Colony.Node.Hosting;
using Colony.Testing;

namespace Colony.IntegrationTests;

/// <summary>A node started with --join ADDR adds itself to a running cluster.</summary>
public class JoinTests
{
    [Fact]
    public async Task A_node_started_with_join_becomes_a_voter_of_the_running_cluster()
    {
        string data = Directory.CreateTempSubdirectory("colony-join-").FullName;
        int basePort = ColonyCli.FindFreeBasePort();
        Process? joiner = null;
        try
        {
            var (code, output) = await ColonyCli.RunAsync("up", "--data", data, "--base-port", basePort.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(code == 0, output);

            // Node 4's configuration: node 3's, moved to the next slot of the port layout.
            var config = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(data, "node-3.json")))!;
            var colony = config["Colony"]!;
            int slot = basePort + 30;
            colony["NodeId"] = 4;
            colony["DataDir"] = Path.Combine(data, "node-4");
            colony["ZooKeeper"] = $"127.0.0.1:{slot}";
            colony["Peer"] = $"127.0.0.1:{slot + 1}";
            colony["Http"] = $"http://127.0.0.1:{slot + 2}";
            colony["DataTransfer"] = $"127.0.0.1:{slot + 3}";
            string configPath = Path.Combine(data, "node-4.json");
            await File.WriteAllTextAsync(configPath, config.ToJsonString());

            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "colony.dll"), "node", "--config", configPath, "--join", $"http://127.0.0.1:{basePort + 2}" })
            {
                start.ArgumentList.Add(arg);
            }
            joiner = Process.Start(start)!;
            joiner.OutputDataReceived += (_, _) => { };
            joiner.ErrorDataReceived += (_, _) => { };
            joiner.BeginOutputReadLine();
            joiner.BeginErrorReadLine();

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            var json = new JsonSerializerOptions { PropertyNameCaseInsensitive = true };
            var status = await LocalCluster.WaitForAsync(
                async () =>
                {
                    try
                    {
                        return await http.GetFromJsonAsync<NodeStatus>($"http://127.0.0.1:{slot + 2}/status", json);
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                    {
                        return null;
                    }
                },
                s => s.Voters.Contains(4UL) && s.Healthy,
                TimeSpan.FromSeconds(60), "node 4 to join as a healthy voter");
            Assert.Equal([1UL, 2UL, 3UL, 4UL], status.Voters);
        }
        finally
        {
            if (joiner is { HasExited: false })
            {
                joiner.Kill(entireProcessTree: true);
                await joiner.WaitForExitAsync();
            }
            joiner?.Dispose();
            await ColonyCli.RunAsync("down", "--data", data);
            TaskDirectories.RemoveRecorded(Path.Combine(data, "node-4")); // killed, so its task directory is still there
            Directory.Delete(data, recursive: true);
        }
    }
}
