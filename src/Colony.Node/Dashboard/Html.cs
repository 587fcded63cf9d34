using System.Globalization;
using System.Net;
using System.Text;

namespace Colony.Node.Dashboard;

/// <summary>
/// The dashboard's page frame and small HTML helpers. Pages are rendered on the server and work without
/// JavaScript; a few lines of script re-fetch the page's main section every two seconds for live updates.
/// No external assets: the machine may be offline.
/// </summary>
internal static class Html
{
    /// <summary>The request header the live-update script sends: answer with the main section only.</summary>
    public const string PartialHeader = "X-Colony-Partial";

    public static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    public static string N(ulong value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string N(double value, string format = "0.#") => value.ToString(format, CultureInfo.InvariantCulture);

    public static string Ago(DateTimeOffset? time, DateTimeOffset now) => time is not { } t
        ? "never"
        : (now - t).TotalSeconds < 1 ? "just now" : N((now - t).TotalSeconds, "0") + " s ago";

    public static string Badge(string text, string kind) => $"<span class=\"badge {E(kind)}\">{E(text)}</span>";

    public static string Page(string title, string clusterId, ulong servedBy, string active, string main)
    {
        var html = new StringBuilder(main.Length + 4096);
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<title>").Append(E(title)).Append(" · Colony</title><style>").Append(Style).Append("</style></head><body>")
            .Append("<header><a class=\"brand\" href=\"/\">Colony</a><span class=\"cluster\">cluster ").Append(E(clusterId))
            .Append(" · served by node ").Append(servedBy.ToString(CultureInfo.InvariantCulture)).Append("</span><nav>");
        foreach (var (href, label) in (ReadOnlySpan<(string, string)>)[("/", "Overview"), ("/coordination", "Coordination"), ("/storage", "Storage"), ("/jobs", "Jobs"), ("/node", "Node")])
        {
            html.Append("<a href=\"").Append(href).Append('"').Append(label == active ? " class=\"active\"" : "").Append('>').Append(label).Append("</a>");
        }
        html.Append("</nav><span id=\"live\" class=\"live\">static</span></header><main id=\"main\">")
            .Append(main)
            .Append("</main><script>").Append(Script).Append("</script></body></html>");
        return html.ToString();
    }

    public static string Table(IEnumerable<string> headers, IEnumerable<IEnumerable<string>> rows, string? id = null)
    {
        var html = new StringBuilder("<table").Append(id is null ? "" : $" id=\"{E(id)}\"").Append("><thead><tr>");
        foreach (string h in headers)
        {
            html.Append("<th>").Append(E(h)).Append("</th>");
        }
        html.Append("</tr></thead><tbody>");
        foreach (var row in rows)
        {
            html.Append("<tr>");
            foreach (string cell in row)
            {
                html.Append("<td>").Append(cell).Append("</td>"); // cells arrive already encoded
            }
            html.Append("</tr>");
        }
        return html.Append("</tbody></table>").ToString();
    }

    private const string Style = """
        :root{--bg:#f6f7f9;--fg:#1d2330;--mute:#6b7385;--card:#fff;--line:#e2e5eb;--ok:#1f8a4c;--warn:#b7791f;--bad:#c53030;--accent:#2b59c3}
        *{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:var(--bg);color:var(--fg)}
        header{display:flex;gap:1.2rem;align-items:center;padding:.7rem 1.4rem;background:#1d2330;color:#fff}
        header a{color:#cfd6e4;text-decoration:none}header a.active,header a:hover{color:#fff}.brand{font-weight:700;font-size:1.1rem;color:#fff!important}
        .cluster{color:#9aa4b8;font-size:.85rem}nav{display:flex;gap:1rem;margin-left:auto}.live{font-size:.75rem;color:#9aa4b8}
        main{padding:1.2rem 1.4rem;max-width:1200px}h1{font-size:1.3rem;margin:.2rem 0 1rem}h2{font-size:1.05rem;margin:1.4rem 0 .5rem}
        .cards{display:flex;flex-wrap:wrap;gap:.8rem}.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.7rem 1rem;min-width:150px}
        .card .k{color:var(--mute);font-size:.75rem;text-transform:uppercase;letter-spacing:.04em}.card .v{font-size:1.35rem;font-weight:600}
        table{border-collapse:collapse;width:100%;background:var(--card);border:1px solid var(--line);border-radius:8px;overflow:hidden}
        th,td{text-align:left;padding:.45rem .7rem;border-bottom:1px solid var(--line);vertical-align:top}th{background:#eef0f4;font-weight:600;font-size:.8rem;color:#4a5266}
        td:first-child{white-space:nowrap}tr:last-child td{border-bottom:none}code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace}pre{background:#fff;border:1px solid var(--line);border-radius:8px;padding:.7rem;overflow:auto;max-height:24rem;white-space:pre-wrap;word-break:break-all}
        .badge{display:inline-block;padding:.05rem .5rem;border-radius:999px;font-size:.75rem;font-weight:600;color:#fff}
        .healthy,.ok{background:var(--ok)}.unhealthy,.warning{background:var(--warn)}.dead,.critical{background:var(--bad)}.unknown{background:#8a93a6}.leader{background:var(--accent)}
        .alerts{list-style:none;padding:0;margin:0}.alerts li{background:var(--card);border:1px solid var(--line);border-left:4px solid var(--warn);border-radius:6px;padding:.5rem .8rem;margin:.4rem 0}
        .alerts li.critical{border-left-color:var(--bad);background:#fff5f5}.none{color:var(--mute)}a{color:var(--accent)}
        .bar{height:8px;background:#e8ebf0;border-radius:4px;overflow:hidden;min-width:90px}.bar>span{display:block;height:100%;background:var(--accent)}
        .crumbs a{margin-right:.2rem}.mute{color:var(--mute)}
        details.action{margin:.6rem 0}details.action summary{cursor:pointer;color:var(--bad);font-size:.85rem}details.action form{margin-top:.4rem}
        details.action input{padding:.2rem .4rem;border:1px solid var(--line);border-radius:4px}details.action button{background:var(--bad);color:#fff;border:0;border-radius:4px;padding:.25rem .7rem;cursor:pointer}
        """;

    // Re-fetches the main section; with JavaScript off the page is simply static. It holds off while an action
    // form is open or being filled in, so a refresh never wipes a token being typed.
    private const string Script = """
        (function(){var live=document.getElementById('live');live.textContent='live';
        function busy(){if(document.querySelector('#main details[open]'))return true;
        return [].some.call(document.querySelectorAll('#main input'),function(i){return i.value||i===document.activeElement;});}
        setInterval(function(){if(busy()){live.textContent='paused';return;}fetch(location.href,{headers:{'X-Colony-Partial':'1'},cache:'no-store'})
        .then(function(r){if(!r.ok)throw new Error(r.status);return r.text();})
        .then(function(t){document.getElementById('main').innerHTML=t;live.textContent='live';})
        .catch(function(){live.textContent='node unreachable: updates paused';});},2000);})();
        """;
}
