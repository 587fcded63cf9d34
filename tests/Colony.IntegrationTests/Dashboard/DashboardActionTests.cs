using System.Net;
using System.Text.Json.Nodes;
using Colony.Client.Jobs;
using Colony.IntegrationTests.Compute;
using Xunit.Abstractions;

namespace Colony.IntegrationTests.Dashboard;

/// <summary>
/// The dashboard's two actions on a real cluster: refused without a token or with a wrong one (401, and
/// nothing changes), done with the right one. Posted from a follower, so they also travel to the leader.
/// </summary>
public sealed class DashboardActionTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Killing_a_job_and_decommissioning_a_node_need_the_admin_token()
    {
        // Default compute timeouts: the hung maps must keep the job running until the test kills it.
        await using var cluster = new ComputeCluster(3, compute: new Dictionary<string, object>());
        using var logs = cluster.DumpLogsOnFailure(output);
        await cluster.StartAsync();
        await cluster.PutAsync("/in/words.txt", "colony ants and more ants\n"u8.ToArray());
        ulong leader = await cluster.Cluster.WaitForLeaderAsync();
        ulong viewer = cluster.Cluster.Ids.First(id => id != leader);
        string site = cluster.Cluster.HttpAddress(viewer);
        using var scripts = new StreamingScripts();
        string id = await scripts.SubmitAsync(cluster, "/in", "/out", reducers: 1, mapArgs: "0 hang");
        await cluster.WaitForAsync(id, d => d.Job.RunningAttempts > 0, "the map running");
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };

        string page = await browser.GetStringAsync($"{site}/jobs/{id}");
        Assert.Contains($"action=\"/jobs/{id}/kill\"", page, StringComparison.Ordinal);
        foreach (string? token in (string?[])[null, "d3Jvbmc="])
        {
            var refused = await PostAsync(browser, $"{site}/jobs/{id}/kill", token);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Contains("Nothing was changed", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        Assert.Equal(JobStates.Running, (await cluster.Jobs.GetAsync(id)).Job.State);

        var killed = await PostAsync(browser, $"{site}/jobs/{id}/kill", Convert.ToBase64String(cluster.Cluster.Secret));
        Assert.Equal(HttpStatusCode.SeeOther, killed.StatusCode);
        Assert.Equal($"/jobs/{id}", killed.Headers.Location?.OriginalString);
        var job = await cluster.WaitAsync(id);
        Assert.Equal(JobStates.Killed, job.Job.State);
        Assert.DoesNotContain($"action=\"/jobs/{id}/kill\"", await browser.GetStringAsync($"{site}/jobs/{id}"), StringComparison.Ordinal);

        // Decommission a data node (its one replica has nowhere else to go, so it stays decommissioning).
        ulong drained = cluster.Cluster.Ids.First(n => n != leader && n != viewer);
        string storage = await LocalCluster.WaitForAsync(
            async () => await browser.GetStringAsync($"{site}/storage"),
            html => html.Contains($"action=\"/storage/datanodes/{drained}/decommission\"", StringComparison.Ordinal),
            ComputeCluster.Patience, "the decommission form on the storage page");
        foreach (string? token in (string?[])[null, "d3Jvbmc="])
        {
            var refused = await PostAsync(browser, $"{site}/storage/datanodes/{drained}/decommission", token);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }
        Assert.Equal("alive", await DataNodeStateAsync(browser, site, drained));

        var accepted = await PostAsync(browser, $"{site}/storage/datanodes/{drained}/decommission", Convert.ToBase64String(cluster.Cluster.Secret));
        Assert.Equal(HttpStatusCode.SeeOther, accepted.StatusCode);
        Assert.Equal("/storage", accepted.Headers.Location?.OriginalString);
        Assert.Equal("decommissioning", await DataNodeStateAsync(browser, site, drained));
        logs.Pass();
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient http, string url, string? token)
    {
        var fields = token is null ? [] : new Dictionary<string, string> { ["token"] = token };
        return await http.PostAsync(url, new FormUrlEncodedContent(fields));
    }

    private static async Task<string?> DataNodeStateAsync(HttpClient http, string site, ulong node) =>
        (string?)JsonNode.Parse(await http.GetStringAsync($"{site}/api/fs/datanodes"))!.AsArray().Single(n => (ulong)n!["id"]! == node)!["state"];
}
