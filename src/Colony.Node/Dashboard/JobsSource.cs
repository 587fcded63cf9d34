using System.Net.Http.Json;
using Colony.Client.Jobs;
using Colony.Compute.Jobs;
using Colony.Node.Compute;
using Colony.Node.Hosting;

namespace Colony.Node.Dashboard;

/// <summary>
/// The jobs the dashboard shows. Every node has the jobs' replicated state, but only the leader hears the
/// running attempts' progress: a follower asks the leader, and shows its own state if the leader is unreachable.
/// </summary>
internal sealed class JobsSource(JobsService jobs, JobTracker tracker, ReplicaLoop loop) : IDisposable
{
    private readonly HttpClient _http = loop.Tls.CreateHttpClient(TimeSpan.FromSeconds(3));

    public async Task<IReadOnlyList<JobSummary>> ListAsync(CancellationToken cancellationToken)
    {
        if (await FromLeaderAsync("/api/jobs", JobJson.Default.JobList, cancellationToken).ConfigureAwait(false) is { } list)
        {
            return list.Jobs;
        }
        return jobs.Read(s => s.Jobs.Reverse().Select(j => JobViews.Summary(j, Progress)).ToArray());
    }

    public async Task<JobDetail?> GetAsync(string id, CancellationToken cancellationToken)
    {
        if (await FromLeaderAsync($"/api/jobs/{Uri.EscapeDataString(id)}", JobJson.Default.JobDetail, cancellationToken).ConfigureAwait(false) is { } detail)
        {
            return detail;
        }
        return JobsEndpoints.Show(jobs, id, view => JobViews.Detail(view, Progress));
    }

    private double Progress(AttemptId attempt) => tracker.ProgressOf(attempt);

    private async Task<T?> FromLeaderAsync<T>(string path, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken cancellationToken)
        where T : class
    {
        if (loop.IsLeader || loop.LeaderHttp is not { } leader)
        {
            return null;
        }
        try
        {
            using var response = await _http.GetAsync(new Uri(new Uri(leader), path), cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync(type, cancellationToken).ConfigureAwait(false) : null;
        }
        catch (Exception e) when (PeerHttpFailure.IsNoAnswer(e) && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    public void Dispose() => _http.Dispose();
}
