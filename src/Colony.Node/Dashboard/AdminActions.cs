using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Colony.Node.Hosting;

namespace Colony.Node.Dashboard;

/// <summary>
/// The dashboard's only actions, killing a job and decommissioning a data node: plain form posts that carry
/// a token (the cluster token, an administrator's, or for a kill the job user's own). The request goes through
/// the same API call the CLI uses, with that token, so the API decides (401 for a token it does not know, 403
/// for a caller who may not), this node forwards it to the leader like any other, and the browser is sent
/// back to the page it came from.
/// </summary>
internal sealed class AdminActions(NodeSelf self) : IDisposable
{
    /// <summary>The form field holding the token.</summary>
    public const string TokenField = "token";

    private readonly HttpClient _http = self.Loop.Tls.CreateHttpClient(TimeSpan.FromSeconds(30));

    public Task<IResult> KillJobAsync(HttpContext context, string id) =>
        RunAsync(context, $"/api/jobs/{Uri.EscapeDataString(id)}/kill", $"/jobs/{Uri.EscapeDataString(id)}", $"kill job {id}");

    public Task<IResult> DecommissionAsync(HttpContext context, ulong node) =>
        RunAsync(context, $"/api/fs/decommission?node={node}", "/storage", $"decommission data node {node}");

    private async Task<IResult> RunAsync(HttpContext context, string api, string back, string what)
    {
        string? token = context.Request.HasFormContentType
            ? (await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false))[TokenField].ToString()
            : null;
        if (string.IsNullOrWhiteSpace(token))
        {
            return Refused(context, StatusCodes.Status401Unauthorized, what, back, "this action needs a token, and none was given.");
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(self.Http), api));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Trim());
        try
        {
            using var response = await _http.SendAsync(request, context.RequestAborted).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                // 303: the browser follows with a GET, so a reload does not post the form again.
                context.Response.Headers.Location = back;
                return Results.StatusCode(StatusCodes.Status303SeeOther);
            }
            string body = await response.Content.ReadAsStringAsync(context.RequestAborted).ConfigureAwait(false);
            return Refused(context, (int)response.StatusCode, what, back, "the cluster refused: " + Reason(body, response.StatusCode));
        }
        catch (Exception e) when (PeerHttpFailure.IsNoAnswer(e) && !context.RequestAborted.IsCancellationRequested)
        {
            return Refused(context, StatusCodes.Status502BadGateway, what, back, "the cluster did not answer: " + e.Message);
        }
    }

    /// <summary>A problem answer's title and detail, or the status when the body is not one.</summary>
    private static string Reason(string body, HttpStatusCode status)
    {
        try
        {
            var problem = JsonNode.Parse(body);
            string? title = (string?)problem?["title"];
            string? detail = (string?)problem?["detail"];
            if (title is not null)
            {
                return detail is null ? title : $"{title}: {detail}";
            }
        }
        catch (System.Text.Json.JsonException)
        {
        }
        return $"{(int)status} {status}";
    }

    private IResult Refused(HttpContext context, int status, string what, string back, string why)
    {
        context.Response.StatusCode = status;
        context.Response.Headers.CacheControl = "no-store";
        string main = $"<h1>Not done</h1><ul class=\"alerts\" id=\"refused\"><li class=\"critical\">Could not {Html.E(what)}: {Html.E(why)} Nothing was changed.</li></ul>"
            + $"<p><a href=\"{Html.E(back)}\">← Back</a></p>";
        return Results.Content(Html.Page("Not done", self.ClusterId, self.Id, "", main), "text/html; charset=utf-8");
    }

    /// <summary>The form that asks for the token before <paramref name="action"/>; folded away until opened.</summary>
    public static string Form(string action, string label, string explanation) =>
        $"<details class=\"action\"><summary>{Html.E(label)}…</summary><form method=\"post\" action=\"{Html.E(action)}\">"
        + $"<p class=\"mute\">{Html.E(explanation)}</p><label>Token <input type=\"password\" name=\"{TokenField}\" autocomplete=\"off\" required></label> "
        + $"<button type=\"submit\">{Html.E(label)}</button></form></details>";

    public void Dispose() => _http.Dispose();
}
