using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Colony.Client.Blocks;
using Colony.Client.FileSystem;
using Colony.Client.Jobs;
using Colony.Core;
using Colony.Storage.Blocks.Transfer;
using Xunit.Abstractions;
using static Colony.IntegrationTests.FileSystem.Fs;

namespace Colony.IntegrationTests.Security;

/// <summary>One 3-node cluster for the access tests: starting one costs more than all of them together.</summary>
public sealed class AccessCluster : IAsyncLifetime
{
    internal LocalCluster Cluster { get; } = new(3);

    public string ClusterToken => Convert.ToBase64String(Cluster.Secret);

    public Uri[] Nodes => [.. Cluster.Ids.Select(id => new Uri(Cluster.HttpAddress(id)))];

    public async Task InitializeAsync()
    {
        await Cluster.WaitForLeaderAsync();
        using var admin = new ColonyFileSystem(Nodes, ClusterToken);
        await WaitForDataNodesAsync(admin, 3);
    }

    /// <summary>A new user token, made through the API as <c>colony token create</c> makes it.</summary>
    public async Task<(string Id, string Token)> CreateTokenAsync(string user)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{Cluster.HttpAddress(Cluster.Ids.First())}/api/tokens")
        {
            Content = JsonContent.Create(new { user }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ClusterToken);
        using var response = await Cluster.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        string token = (string)body["token"]!;
        // Each node checks tokens against its own copy: a follower knows the new one a moment after the leader.
        foreach (ulong node in Cluster.Ids)
        {
            await WaitForWhoAmIAsync(node, token, HttpStatusCode.OK);
        }
        return ((string)body["id"]!, token);
    }

    /// <summary>Waits until <paramref name="node"/> answers whoami for <paramref name="token"/> with <paramref name="status"/>.</summary>
    public Task WaitForWhoAmIAsync(ulong node, string token, HttpStatusCode status) =>
        LocalCluster.WaitForAsync<object>(async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{Cluster.HttpAddress(node)}/api/auth/whoami");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await Cluster.Http.SendAsync(request);
            return response.StatusCode;
        }, s => (HttpStatusCode)s == status, Patience, $"node {node} answering whoami with {status}");

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>
/// Tokens and file permissions on a real cluster: changes need a token, files are read only as their modes
/// allow, a revoked token stops working on every node, and a job is refused input its user cannot read.
/// </summary>
public sealed class AccessTests(AccessCluster fixture, ITestOutputHelper output) : IClassFixture<AccessCluster>
{
    private LocalCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task A_change_without_a_token_gets_401_with_a_json_error()
    {
        using var logs = Cluster.DumpLogsOnFailure(output);
        string node = Cluster.HttpAddress(Cluster.Ids.Last());
        foreach (var (path, body) in new[] { ("/api/fs/mkdirs", "{\"path\":\"/nope\"}"), ("/api/jobs", "{}"), ("/cluster/members", "{\"id\":9}") })
        {
            using var response = await Cluster.Http.PostAsync($"{node}{path}", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal("authentication required", (string?)problem["title"]);
            Assert.Contains("Bearer", (string?)problem["detail"], StringComparison.Ordinal);
        }
        // A token no node knows is refused even for a read.
        using var bogus = new HttpRequestMessage(HttpMethod.Get, $"{node}/api/fs/list?path=/");
        bogus.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "colony.000000000000.not-a-token");
        using (var refused = await Cluster.Http.SendAsync(bogus))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }
        using var admin = new ColonyFileSystem(fixture.Nodes, fixture.ClusterToken);
        Assert.Null(await admin.StatAsync("/nope"));
        logs.Pass();
    }

    [Fact]
    public async Task Key_value_writes_need_an_administrators_token()
    {
        using var logs = Cluster.DumpLogsOnFailure(output);
        var (_, carol) = await fixture.CreateTokenAsync("carol");
        ulong leader = await Cluster.WaitForLeaderAsync();
        string key = $"{Cluster.HttpAddress(leader)}/kv/guarded";
        async Task<HttpStatusCode> PutAsync(string? token)
        {
            using var request = new HttpRequestMessage(HttpMethod.Put, key) { Content = new StringContent(token is null ? "anonymous" : "with a token") };
            if (token is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }
            using var response = await Cluster.Http.SendAsync(request);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await PutAsync(null));
        Assert.Equal(HttpStatusCode.Forbidden, await PutAsync(carol));
        Assert.Equal(HttpStatusCode.NotFound, (await Cluster.Http.GetAsync(key)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, await PutAsync(fixture.ClusterToken));
        Assert.Equal("with a token", await Cluster.Http.GetStringAsync(key)); // reads stay open
        logs.Pass();
    }

    [Fact]
    public async Task A_user_reads_another_users_file_only_once_its_mode_allows()
    {
        using var logs = Cluster.DumpLogsOnFailure(output);
        var (_, alice) = await fixture.CreateTokenAsync("alice");
        var (_, bob) = await fixture.CreateTokenAsync("bob");
        using var asAlice = new ColonyFileSystem(fixture.Nodes, alice);
        using var asBob = new ColonyFileSystem(fixture.Nodes, bob);
        using var anonymous = new ColonyFileSystem(fixture.Nodes, (string?)null);
        byte[] data = RandomBytes(1000, 7);
        await WriteAsync(asAlice, "/user/alice/diary.txt", data, Small(1) with { Mode = "600" });
        var status = await asAlice.StatAsync("/user/alice/diary.txt");
        Assert.Equal("alice", status!.Owner);

        var denied = await Assert.ThrowsAsync<FsException>(() => asBob.OpenReadAsync("/user/alice/diary.txt"));
        Assert.Equal(403, denied.StatusCode);
        Assert.Contains("bob may not read /user/alice/diary.txt", denied.Message, StringComparison.Ordinal);
        string content = $"{Cluster.HttpAddress(Cluster.Ids.First())}/api/fs/content?path=%2Fuser%2Falice%2Fdiary.txt";
        using (var refused = await Cluster.Http.GetAsync(content))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }
        // Bob may neither change its mode nor write where he has no w.
        Assert.Equal(403, (await Assert.ThrowsAsync<FsException>(() => asBob.SetPermissionAsync("/user/alice/diary.txt", "644"))).StatusCode);
        Assert.Equal(403, (await Assert.ThrowsAsync<FsException>(() => asBob.MkdirsAsync("/user/alice/bobs"))).StatusCode);
        Assert.Equal(403, (await Assert.ThrowsAsync<FsException>(() => asAlice.SetOwnerAsync("/user/alice/diary.txt", "bob", null))).StatusCode);

        await asAlice.SetPermissionAsync("/user/alice/diary.txt", "644");
        Assert.Equal(data, await ReadAllAsync(asBob, "/user/alice/diary.txt"));
        Assert.Equal(data, await ReadAllAsync(anonymous, "/user/alice/diary.txt"));
        using (var served = await Cluster.Http.GetAsync(content))
        {
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
            Assert.Equal(data, await served.Content.ReadAsByteArrayAsync());
        }
        logs.Pass();
    }

    [Fact]
    public async Task A_revoked_token_stops_working_on_every_node()
    {
        using var logs = Cluster.DumpLogsOnFailure(output);
        var (id, carol) = await fixture.CreateTokenAsync("carol"); // accepted on every node by now
        using (var revoke = new HttpRequestMessage(HttpMethod.Delete, $"{Cluster.HttpAddress(Cluster.Ids.Last())}/api/tokens/{id}"))
        {
            revoke.Headers.Authorization = new AuthenticationHeaderValue("Bearer", fixture.ClusterToken);
            using var revoked = await Cluster.Http.SendAsync(revoke);
            Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        }
        foreach (ulong node in Cluster.Ids)
        {
            await fixture.WaitForWhoAmIAsync(node, carol, HttpStatusCode.Unauthorized);
        }
        using var asCarol = new ColonyFileSystem(fixture.Nodes, carol);
        Assert.Equal(401, (await Assert.ThrowsAsync<FsException>(() => asCarol.MkdirsAsync("/user/carol/after"))).StatusCode);
        logs.Pass();
    }

    [Fact]
    public async Task A_job_whose_input_its_user_cannot_read_is_refused()
    {
        using var logs = Cluster.DumpLogsOnFailure(output);
        var (_, dave) = await fixture.CreateTokenAsync("dave");
        using var admin = new ColonyFileSystem(fixture.Nodes, fixture.ClusterToken);
        await WriteAsync(admin, "/private/ledger.txt", "one two\n"u8.ToArray(), Small(1) with { Mode = "600" });
        using var jobs = new JobClient(fixture.Nodes, dave);

        var refused = await Assert.ThrowsAsync<JobException>(() => jobs.SubmitAsync(new JobRequest
        {
            Name = "peek", Inputs = ["/private/ledger.txt"], Output = "/user/dave/out", Reducers = 1,
        }));
        Assert.Equal(403, refused.StatusCode);
        Assert.Contains("dave may not read the input /private/ledger.txt", refused.Message, StringComparison.Ordinal);
        // Nor may a job write where its user may not.
        var nowhere = await Assert.ThrowsAsync<JobException>(() => jobs.SubmitAsync(new JobRequest
        {
            Name = "spill", Inputs = ["/user/dave"], Output = "/results", Reducers = 1,
        }));
        Assert.Equal(403, nowhere.StatusCode);
        Assert.Null(await admin.StatAsync("/user/dave/out"));
        Assert.Empty(await jobs.ListAsync());
        logs.Pass();
    }

    [Fact]
    public async Task The_block_port_serves_a_block_only_with_the_token_the_api_hands_to_a_reader_of_its_file()
    {
        using var logs = Cluster.DumpLogsOnFailure(output);
        var (_, erin) = await fixture.CreateTokenAsync("erin");
        var (_, frank) = await fixture.CreateTokenAsync("frank");
        using var asErin = new ColonyFileSystem(fixture.Nodes, erin);
        byte[] secret = RandomBytes(3000, 21);
        byte[] shared = RandomBytes(2000, 22);
        await WriteAsync(asErin, "/user/erin/secret.bin", secret, Small(1) with { Mode = "600" });
        await WriteAsync(asErin, "/user/erin/shared.bin", shared, Small(1) with { Mode = "644" });
        // The legitimate user's put and get round-trip through the tokens the API hands out.
        Assert.Equal(secret, await ReadAllAsync(asErin, "/user/erin/secret.bin"));

        // Frank may not read the secret file, so the API gives him neither its blocks nor a token for them.
        using (var denied = await LocationsAsync(frank, "/user/erin/secret.bin"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        }
        var block = await BlockOfAsync(erin, "/user/erin/secret.bin");
        var version = new BlockVersion(new BlockId((ulong)block["blockId"]!), new GenerationStamp((ulong)block["stamp"]!));
        string node = (string)block["nodes"]![0]!;
        var client = new BlockTransferClient();

        // Knowing the block id is not enough: without a token the data node refuses, and says why.
        var bare = await Assert.ThrowsAsync<ReplicaUnavailableException>(() => client.ReadBlockAsync(node, version, 0, secret.Length, Stream.Null));
        Assert.Equal(TransferStatus.AccessDenied, bare.Status);
        Assert.Contains("no block access token", bare.Message, StringComparison.Ordinal);
        // Nor is a token Frank can get, for a block of a file he may read.
        string other = (string)(await BlockOfAsync(frank, "/user/erin/shared.bin"))["token"]!;
        var borrowed = await Assert.ThrowsAsync<ReplicaUnavailableException>(() => client.ReadBlockAsync(node, version, 0, secret.Length, Stream.Null, other));
        Assert.Equal(TransferStatus.AccessDenied, borrowed.Status);
        Assert.Contains("another block", borrowed.Message, StringComparison.Ordinal);

        // Nor is a block written behind the namespace's back.
        var stray = new BlockVersion(new BlockId(version.Id.Value + 1_000_000), new GenerationStamp(1));
        var write = await Assert.ThrowsAsync<PipelineFailedException>(() => client.WriteBlockAsync([node], stray, new MemoryStream(shared)));
        Assert.Equal(TransferStatus.AccessDenied, write.Status);

        // The token handed to Erin reads it.
        using var read = new MemoryStream();
        await client.ReadBlockAsync(node, version, 0, secret.Length, read, (string)block["token"]!);
        Assert.Equal(secret, read.ToArray());
        logs.Pass();
    }

    private async Task<HttpResponseMessage> LocationsAsync(string token, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{Cluster.HttpAddress(Cluster.Ids.Last())}/api/fs/locations?path={Uri.EscapeDataString(path)}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await Cluster.Http.SendAsync(request);
    }

    /// <summary>The first block of <paramref name="path"/> as /api/fs/locations shows it to the holder of <paramref name="token"/>.</summary>
    private async Task<JsonNode> BlockOfAsync(string token, string path)
    {
        using var response = await LocationsAsync(token, path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["blocks"]![0]!;
    }
}
