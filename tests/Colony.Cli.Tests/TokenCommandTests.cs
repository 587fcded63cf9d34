using System.Net;
using System.Net.Sockets;
using System.Text;
using Colony.Testing;

namespace Colony.Cli.Tests;

public sealed class TokenCommandTests : IDisposable
{
    private readonly TemporaryDirectory directory = new();

    public void Dispose() => directory.Dispose();

    [Fact]
    public async Task Token_create_sends_its_body_to_the_next_node_when_the_first_does_not_answer()
    {
        int[] ports = TestPorts.Many(2);
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{ports[1]}/");
        listener.Start();
        var server = Task.Run(async () =>
        {
            var context = await listener.GetContextAsync();
            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            string body = await reader.ReadToEndAsync();
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/json";
            await context.Response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes(
                "{\"id\":\"t1\",\"user\":\"ann\",\"groups\":[],\"admin\":false,\"token\":\"colony.t1.s3cret\"}"));
            context.Response.Close();
            return body;
        });

        // Nothing listens on the first port: the command moves on to the second node.
        var result = await new CliRun(directory.Path).With("COLONY_TOKEN", "admin-token")
            .RunAsync("token", "create", "--user", "ann", "--cluster", $"127.0.0.1:{ports[0]},127.0.0.1:{ports[1]}");
        string sent = await server.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("colony.t1.s3cret", result.Out.Trim());
        Assert.Contains("\"ann\"", sent, StringComparison.Ordinal);
    }
}
