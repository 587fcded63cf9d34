using System.CommandLine;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Colony.Node.Security;

namespace Colony.Cli.Commands;

/// <summary>
/// <c>colony token create|list|revoke|whoami</c>: the HTTP API's user tokens. Creating, listing and revoking
/// need an administrator's token (the cluster token the CLI reads from the data directory, or COLONY_TOKEN).
/// A new token is printed once; the cluster keeps only its SHA-256 hash.
/// </summary>
internal static class TokenCommands
{
    public static Command Create(CliContext cli) =>
        new("token", "Manage the HTTP API's user tokens: create, list, revoke, whoami")
        {
            CreateCreate(cli), CreateList(cli), CreateRevoke(cli), CreateWhoAmI(cli),
        };

    private static Command CreateCreate(CliContext cli)
    {
        var user = new Option<string>("--user") { Description = "Whom the token speaks for", Required = true, HelpName = "NAME" };
        var admin = new Option<bool>("--admin") { Description = "Make the token an administrator's: the file system's superuser" };
        var groups = new Option<string[]>("--group") { Description = "A group the user is in (repeat for more)", HelpName = "GROUP", AllowMultipleArgumentsPerToken = false };
        var command = new Command("create", "Create a token for a user and print it, once (also makes /user/NAME for them)") { user, admin, groups };
        command.SetAction((parse, ct) => RunAsync(cli, parse, async http =>
        {
            var request = new TokenRequest(parse.GetValue(user), parse.GetValue(groups) ?? [], parse.GetValue(admin));
            using var response = await SendAsync(http, HttpMethod.Post, "/api/tokens", () => JsonContent.Create(request, AccessJson.Default.TokenRequest), ct).ConfigureAwait(false);
            var created = (await response.Content.ReadFromJsonAsync(AccessJson.Default.TokenCreatedView, ct).ConfigureAwait(false))!;
            cli.Environment.Out.WriteLine(created.Token);
            cli.Environment.Error.WriteLine($"token {created.Id} for {created.User}{(created.Admin ? " (admin)" : "")}: shown only now; use it as COLONY_TOKEN");
        }, ct));
        return command;
    }

    private static Command CreateList(CliContext cli)
    {
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var command = new Command("list", "List the tokens: id, user, groups, admin, created (never the tokens themselves)") { json };
        command.SetAction((parse, ct) => RunAsync(cli, parse, async http =>
        {
            using var response = await SendAsync(http, HttpMethod.Get, "/api/tokens", null, ct).ConfigureAwait(false);
            var tokens = (await response.Content.ReadFromJsonAsync(AccessJson.Default.TokenViewArray, ct).ConfigureAwait(false))!;
            if (parse.GetValue(json))
            {
                cli.Environment.Out.WriteLine(JsonSerializer.Serialize(tokens, AccessJson.Default.TokenViewArray));
                return;
            }
            foreach (var token in tokens)
            {
                string created = DateTimeOffset.FromUnixTimeMilliseconds(token.Created).ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
                cli.Environment.Out.WriteLine($"{token.Id}  {token.User,-16} {(token.Admin ? "admin" : "user"),-5}  {created}  {string.Join(',', token.Groups)}");
            }
        }, ct));
        return command;
    }

    private static Command CreateRevoke(CliContext cli)
    {
        var id = new Argument<string>("ID") { Description = "The token's id, as `colony token list` shows it" };
        var command = new Command("revoke", "Revoke a token: from the moment each node applies it, that node refuses the token") { id };
        command.SetAction((parse, ct) => RunAsync(cli, parse, async http =>
        {
            using var response = await SendAsync(http, HttpMethod.Delete, $"/api/tokens/{Uri.EscapeDataString(parse.GetValue(id)!)}", null, ct).ConfigureAwait(false);
            cli.Environment.Out.WriteLine($"revoked token {parse.GetValue(id)}");
        }, ct));
        return command;
    }

    private static Command CreateWhoAmI(CliContext cli)
    {
        var command = new Command("whoami", "Show whom the cluster takes this CLI's token for");
        command.SetAction((parse, ct) => RunAsync(cli, parse, async http =>
        {
            using var response = await SendAsync(http, HttpMethod.Get, "/api/auth/whoami", null, ct).ConfigureAwait(false);
            var me = (await response.Content.ReadFromJsonAsync(AccessJson.Default.WhoAmIView, ct).ConfigureAwait(false))!;
            cli.Environment.Out.WriteLine($"{me.User} ({me.Kind}{(me.Admin ? ", admin" : "")}) groups: {string.Join(',', me.Groups)}");
        }, ct));
        return command;
    }

    private sealed record Target(HttpClient Http, IReadOnlyList<Uri> Nodes);

    private static async Task<int> RunAsync(CliContext cli, ParseResult parse, Func<Target, Task> action, CancellationToken ct)
    {
        var target = cli.RemoteCluster(parse);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        if (FsCommands.Token(cli, target) is { } token)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        await action(new Target(http, [.. target.Nodes.Select(n => n.Http)])).ConfigureAwait(false);
        return 0;
    }

    /// <summary>Sends to the first node that answers (any node forwards changes to the leader); a refusal is a one-line error.</summary>
    /// <param name="body">Makes the body, once per node tried: a request disposes its content, so the next node needs a new one.</param>
    private static async Task<HttpResponseMessage> SendAsync(Target target, HttpMethod method, string path, Func<HttpContent>? body, CancellationToken ct)
    {
        HttpRequestException? last = null;
        foreach (var node in target.Nodes)
        {
            using var request = new HttpRequestMessage(method, new Uri(node, path)) { Content = body?.Invoke() };
            HttpResponseMessage response;
            try
            {
                response = await target.Http.SendAsync(request, ct).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                last = e;
                continue;
            }
            if (response.IsSuccessStatusCode)
            {
                return response;
            }
            using (response)
            {
                throw new CliError(await ReasonAsync(response, ct).ConfigureAwait(false));
            }
        }
        throw new CliError($"no node answered: {last?.Message}; is the cluster up? (colony status)");
    }

    private static async Task<string> ReasonAsync(HttpResponseMessage response, CancellationToken ct)
    {
        string text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        try
        {
            var problem = JsonNode.Parse(text);
            if ((string?)problem?["title"] is { } title)
            {
                return (string?)problem["detail"] is { } detail ? $"{title}: {detail}" : title;
            }
        }
        catch (JsonException)
        {
        }
        return $"HTTP {(int)response.StatusCode}";
    }
}
