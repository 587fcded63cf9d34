using System.Net;
using System.Text;
using Colony.Client.Jobs;
using Colony.Testing;

namespace Colony.Client.Tests.Jobs;

public sealed class JobClientRetryTests
{
    [Fact]
    public async Task A_submit_answered_503_is_sent_again_with_its_body()
    {
        int port = TestPorts.One();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var bodies = new List<string>();
        var server = Task.Run(async () =>
        {
            // The first answer is "no leader yet", as during an election; the second accepts the job.
            for (int i = 0; i < 2; i++)
            {
                var context = await listener.GetContextAsync();
                using (var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8))
                {
                    bodies.Add(await reader.ReadToEndAsync());
                }
                context.Response.StatusCode = i == 0 ? 503 : 200;
                context.Response.ContentType = "application/json";
                byte[] answer = Encoding.UTF8.GetBytes(i == 0 ? "{}" : "{\"id\":\"job-7\"}");
                await context.Response.OutputStream.WriteAsync(answer);
                context.Response.Close();
            }
        });
        using var client = new JobClient([new Uri($"http://127.0.0.1:{port}")], "token");

        string id = await client.SubmitAsync(new JobRequest { Name = "retried", Inputs = ["/in"], Output = "/out" }).WaitAsync(TimeSpan.FromSeconds(30));
        await server.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("job-7", id);
        Assert.Equal(2, bodies.Count);
        Assert.Contains("retried", bodies[1], StringComparison.Ordinal);
        Assert.Equal(bodies[0], bodies[1]);
    }
}
