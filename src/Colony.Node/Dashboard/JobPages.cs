using System.Globalization;
using System.Text;
using Colony.Client.Jobs;
using static Colony.Node.Dashboard.Html;

namespace Colony.Node.Dashboard;

/// <summary>The Jobs pages: every job with its progress, and one job's tasks, attempts, errors and counters.</summary>
internal static class JobPages
{
    public static string List(IReadOnlyList<JobSummary> jobs)
    {
        var html = new StringBuilder("<h1>Jobs</h1>");
        if (jobs.Count == 0)
        {
            return html.Append("<p class=\"none\">No jobs yet. Run one with <code>colony job run wordcount --input IN --output OUT</code>.</p>").ToString();
        }
        html.Append("<div class=\"cards\">")
            .Append(DashboardPages.Card("Running", N(jobs.Count(j => !j.IsFinished))))
            .Append(DashboardPages.Card("Succeeded", N(jobs.Count(j => j.State == JobStates.Succeeded))))
            .Append(DashboardPages.Card("Failed or killed", N(jobs.Count(j => j.State is JobStates.Failed or JobStates.Killed))))
            .Append("</div>");
        html.Append(Table(["Job", "Name", "State", "Map", "Reduce", "Tasks running", "Failed attempts", "Data-local", "Submitted", "Duration"], jobs.Select(j => (IEnumerable<string>)
        [
            $"<a href=\"/jobs/{E(j.Id)}\">{E(j.Id)}</a>", E(j.Name), StateBadge(j.State),
            Bar(j.MapProgress, $"{j.MapsDone}/{j.Maps}"), Bar(j.ReduceProgress, $"{j.ReducesDone}/{j.Reduces}"),
            N(j.RunningAttempts), N(j.FailedAttempts), N(j.DataLocalFraction * 100, "0") + "%", DashboardPages.Time(j.SubmittedAt), Duration(j.SubmittedAt, j.FinishedAt),
        ]), "jobs"));
        return html.ToString();
    }

    public static string Job(string id, JobDetail? detail)
    {
        var html = new StringBuilder("<h1>Job ").Append(E(id)).Append("</h1>");
        if (detail is null)
        {
            return html.Append("<p class=\"none\">No such job.</p>").ToString();
        }
        var j = detail.Job;
        html.Append("<div class=\"cards\">")
            .Append(DashboardPages.Card("State", StateBadge(j.State)))
            .Append(DashboardPages.Card("Map", Bar(j.MapProgress, $"{j.MapsDone}/{j.Maps}")))
            .Append(DashboardPages.Card("Reduce", Bar(j.ReduceProgress, $"{j.ReducesDone}/{j.Reduces}")))
            .Append(DashboardPages.Card("Data-local maps", N(j.DataLocalFraction * 100, "0") + "%"))
            .Append(DashboardPages.Card("Failed attempts", N(j.FailedAttempts)))
            .Append(DashboardPages.Card("Duration", Duration(j.SubmittedAt, j.FinishedAt)))
            .Append("</div>");
        html.Append("<p>").Append(E(j.Name)).Append(" by ").Append(E(j.User)).Append(": <code>").Append(E(string.Join(", ", j.Inputs)))
            .Append("</code> → <a href=\"/storage?path=").Append(Uri.EscapeDataString(j.Output)).Append("\"><code>").Append(E(j.Output)).Append("</code></a></p>");
        if (j.Error is { } error)
        {
            html.Append("<ul class=\"alerts\"><li>").Append(E(error)).Append("</li></ul>");
        }
        if (!j.IsFinished)
        {
            html.Append(AdminActions.Form($"/jobs/{Uri.EscapeDataString(j.Id)}/kill", "Kill job",
                "Stops every running attempt; the job ends killed and its output is not committed. Needs the job user's token or an administrator's."));
        }
        html.Append("<h2>Tasks</h2>").Append(Table(["Task", "State", "Progress", "Input", "Attempts"], detail.Tasks.Select(t => (IEnumerable<string>)
        [
            E(t.Id), E(t.State), Bar(t.Progress, N(t.Progress * 100, "0") + "%"), E(t.Input ?? "shuffle"), Attempts(t.Attempts),
        ]), "tasks"));
        html.Append("<h2>Counters</h2>").Append(Table(["Counter", "Value"],
            detail.Counters.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => (IEnumerable<string>)[$"<code>{E(c.Key)}</code>", N(c.Value)]), "counters"));
        return html.ToString();
    }

    private static string Attempts(IReadOnlyList<AttemptDetail> attempts)
    {
        var html = new StringBuilder();
        foreach (var a in attempts)
        {
            html.Append("<div>").Append(E(a.Id[(a.Id.LastIndexOf('-') + 1)..])).Append(" on <a href=\"/nodes/").Append(a.Node.ToString(CultureInfo.InvariantCulture))
                .Append("\">node ").Append(a.Node.ToString(CultureInfo.InvariantCulture)).Append("</a> ").Append(StateBadge(a.State))
                .Append(' ').Append(Duration(a.StartedAt, a.FinishedAt)).Append(a.Speculative ? " speculative" : "").Append(' ').Append(E(a.Locality));
            if (a.Error is { } error)
            {
                html.Append("<br><code class=\"error\">").Append(E(error)).Append("</code>");
            }
            html.Append("</div>");
        }
        return html.ToString();
    }

    private static string Bar(double fraction, string label)
    {
        string percent = N(Math.Clamp(fraction, 0, 1) * 100, "0");
        return $"<div class=\"bar\" title=\"{percent}%\"><span style=\"width:{percent}%\"></span></div><small>{E(label)}</small>";
    }

    private static string StateBadge(string state) => Badge(state, state switch
    {
        JobStates.Succeeded => "healthy",
        JobStates.Failed or JobStates.Killed or "failed" or "killed" => "dead",
        _ => "leader",
    });

    private static string Duration(long start, long? end) => end is { } e
        ? N((e - start) / 1000.0, "0.0") + " s"
        : N((DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - start) / 1000.0, "0") + " s so far";
}
