using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Xunit.Abstractions;
using static Colony.IntegrationTests.FileSystem.Fs;

namespace Colony.IntegrationTests.FileSystem;

/// <summary>File bytes over plain HTTP: uploads with the cluster token, downloads whole and by byte range.</summary>
public class HttpContentTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Files_upload_and_download_over_http_with_ranges()
    {
        await using var cluster = new LocalCluster(3);
        using var logs = cluster.DumpLogsOnFailure(output, tailLines: 60);
        ulong leader = await cluster.WaitForLeaderAsync();
        using var fs = cluster.FileSystem();
        await WaitForDataNodesAsync(fs, 3);
        // A follower, so the node serving content is not the one keeping the block map.
        string node = cluster.HttpAddress(cluster.Ids.First(id => id != leader));
        byte[] data = RandomBytes((Block * 5) / 2, 81);
        string url = $"{node}/api/fs/content?path=%2Fweb%2Fdata.bin";

        // Without the token nothing is written.
        using (var refused = await cluster.Http.PutAsync(new Uri(url + "&blockSize=1048576"), new ByteArrayContent(data)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }
        Assert.Null(await fs.StatAsync("/web/data.bin"));

        using (var upload = new HttpRequestMessage(HttpMethod.Put, url + "&blockSize=1048576&replication=2"))
        {
            upload.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Convert.ToBase64String(cluster.Secret));
            upload.Content = new StreamContent(new MemoryStream(data));
            using var put = await cluster.Http.SendAsync(upload);
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }
        var status = await fs.StatAsync("/web/data.bin");
        Assert.Equal(data.Length, status!.Length);
        Assert.Equal("complete", status.State);
        Assert.Equal(3, status.Blocks);
        Assert.Equal(2, status.Replication);
        Assert.Equal(data, await ReadAllAsync(fs, "/web/data.bin"));

        using (var whole = await cluster.Http.GetAsync(new Uri(url)))
        {
            Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
            Assert.Equal(data.Length, whole.Content.Headers.ContentLength);
            Assert.NotNull(whole.Headers.ETag);
            Assert.Contains("bytes", whole.Headers.AcceptRanges);
            Assert.Equal(data, await whole.Content.ReadAsByteArrayAsync());
        }

        // A range across a block boundary, a suffix, an open end, and one past the end.
        async Task<HttpResponseMessage> Range(long? from, long? to)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Range = new RangeHeaderValue(from, to);
            return await cluster.Http.SendAsync(request);
        }
        using (var middle = await Range(Block - 100, Block + 99))
        {
            Assert.Equal(HttpStatusCode.PartialContent, middle.StatusCode);
            Assert.Equal(200, middle.Content.Headers.ContentLength);
            Assert.Equal($"bytes {Block - 100}-{Block + 99}/{data.Length}", middle.Content.Headers.ContentRange!.ToString());
            Assert.Equal(data.AsSpan(Block - 100, 200).ToArray(), await middle.Content.ReadAsByteArrayAsync());
        }
        using (var suffix = await Range(null, 10))
        {
            Assert.Equal(HttpStatusCode.PartialContent, suffix.StatusCode);
            Assert.Equal(data.AsSpan(data.Length - 10).ToArray(), await suffix.Content.ReadAsByteArrayAsync());
        }
        using (var open = await Range(2 * Block, null))
        {
            Assert.Equal(HttpStatusCode.PartialContent, open.StatusCode);
            Assert.Equal(data.AsSpan(2 * Block).ToArray(), await open.Content.ReadAsByteArrayAsync());
        }
        using (var beyond = await Range(data.Length, null))
        {
            Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, beyond.StatusCode);
        }
        using (var missing = await cluster.Http.GetAsync(new Uri($"{node}/api/fs/content?path=%2Fnope")))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }

        // curl, where the machine has it.
        if (FindCurl() is { } curl)
        {
            var start = new ProcessStartInfo(curl) { RedirectStandardOutput = true, UseShellExecute = false };
            foreach (string arg in (string[])["-sf", "-r", "5-14", url])
            {
                start.ArgumentList.Add(arg);
            }
            using var process = Process.Start(start)!;
            using var body = new MemoryStream();
            await process.StandardOutput.BaseStream.CopyToAsync(body);
            await process.WaitForExitAsync();
            Assert.Equal(0, process.ExitCode);
            Assert.Equal(data.AsSpan(5, 10).ToArray(), body.ToArray());
        }
        logs.Pass();
    }

    private static string? FindCurl() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(dir => Path.Combine(dir, "curl")).FirstOrDefault(File.Exists);
}
