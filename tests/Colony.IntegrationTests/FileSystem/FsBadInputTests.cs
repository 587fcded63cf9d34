using System.Net;
using System.Net.Http.Headers;
using Colony.Client.Blocks;
using Colony.Client.FileSystem;
using Colony.Core;
using Colony.Storage.Blocks.Transfer;
using Xunit.Abstractions;
using static Colony.IntegrationTests.FileSystem.Fs;

namespace Colony.IntegrationTests.FileSystem;

/// <summary>Bad paths and block ids get clear refusals, create nothing, and leave the nodes serving.</summary>
public class FsBadInputTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Bad_paths_and_unknown_blocks_are_refused_clearly_and_change_nothing()
    {
        await using var cluster = new LocalCluster(3);
        using var logs = cluster.DumpLogsOnFailure(output, tailLines: 60);
        await cluster.WaitForLeaderAsync();
        using var fs = cluster.FileSystem();
        await WaitForDataNodesAsync(fs, 3);

        string[] bad = ["/a/../b", "relative", "/a//b", "/a/\0b", "/" + new string('x', 256), "/a/./b"];
        foreach (string path in bad)
        {
            var e = await Assert.ThrowsAsync<FsException>(() => fs.CreateAsync(path, Small()));
            Assert.Equal(400, e.StatusCode);
            Assert.False(string.IsNullOrWhiteSpace(e.Message));
            output.WriteLine($"{path.Replace("\0", "\\0", StringComparison.Ordinal)[..Math.Min(path.Length, 20)]}: {e.Message}");
            await Assert.ThrowsAsync<FsException>(() => fs.MkdirsAsync(path));
        }
        Assert.DoesNotContain(await fs.ListAsync("/"), e => e.Path != "/.Trash");

        // Over HTTP as well: an upload to a bad path is refused before any byte is stored.
        using (var upload = new HttpRequestMessage(HttpMethod.Put, $"{cluster.HttpAddress(cluster.Ids.First())}/api/fs/content?path={Uri.EscapeDataString("/x/../y")}"))
        {
            upload.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Convert.ToBase64String(cluster.Secret));
            upload.Content = new ByteArrayContent(new byte[10]);
            using var put = await cluster.Http.SendAsync(upload);
            Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        }

        // A block id no node has, with a token for it (minted as every node can, from the cluster secret): the
        // data node answers BlockNotFound, and carries on.
        var client = new BlockTransferClient();
        var missing = new BlockVersion(new BlockId(987_654_321), new GenerationStamp(1));
        string token = new BlockAccessToken(missing, BlockAccessMode.Read, "colony", DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeMilliseconds())
            .Sign(BlockAccessToken.DeriveKey(cluster.Secret));
        var refused = await Assert.ThrowsAsync<ReplicaUnavailableException>(() =>
            client.ReadBlockAsync(cluster.DataAddress(cluster.Ids.First()), missing, 0, 10, Stream.Null, token));
        Assert.Equal(TransferStatus.BlockNotFound, refused.Status);

        byte[] data = RandomBytes(Block + 1, 99);
        await WriteAsync(fs, "/still/fine", data, Small());
        Assert.Equal(data, await ReadAllAsync(fs, "/still/fine"));
        logs.Pass();
    }
}
