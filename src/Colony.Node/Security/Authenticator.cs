using System.Security.Cryptography;
using System.Text;
using Colony.Compute.Jobs;
using Colony.Node.Compute;
using Colony.Node.Hosting;
using Microsoft.AspNetCore.Http;

namespace Colony.Node.Security;

/// <summary>
/// Finds out who sent an HTTP request from its <c>Authorization: Bearer</c> header, on whichever node it
/// reached: the cluster token, a user token checked against the replicated hashes, or a running job's token.
/// A request without the header is anonymous; one with a token no node would accept is refused outright.
/// </summary>
public sealed class Authenticator
{
    private const string Bearer = "Bearer ";
    private static readonly object CallerKey = new();

    private readonly byte[] _secret;
    private readonly byte[] _clusterToken;
    private readonly AccessService _access;
    private readonly JobsService _jobs;

    public Authenticator(NodeOptions options, AccessService access, JobsService jobs)
    {
        _secret = options.LoadSecret();
        _clusterToken = Encoding.UTF8.GetBytes(Convert.ToBase64String(_secret));
        _access = access;
        _jobs = jobs;
    }

    /// <summary>The caller of <paramref name="request"/>, or null when it presented a token that is not valid.</summary>
    public Caller? Identify(HttpRequest request)
    {
        if (request.HttpContext.Items.TryGetValue(CallerKey, out var known))
        {
            return (Caller?)known;
        }
        var caller = Resolve(request.Headers.Authorization.ToString());
        request.HttpContext.Items[CallerKey] = caller;
        return caller;
    }

    /// <summary>The caller a header value names, or null when it names none.</summary>
    public Caller? Resolve(string header)
    {
        if (header.Length == 0)
        {
            return Caller.Anonymous;
        }
        if (!header.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        string token = header[Bearer.Length..].Trim();
        if (CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token), _clusterToken))
        {
            return Caller.Cluster;
        }
        if (ApiTokens.IdOf(token) is { } id)
        {
            byte[] hash = ApiTokens.Hash(token);
            return _access.Read(s => s.Find(id)) is { } known && CryptographicOperations.FixedTimeEquals(hash, known.Hash)
                ? new Caller(known.User, [known.User, .. known.Groups], known.Admin, CallerKind.User)
                : null;
        }
        if (ApiTokens.JobOf(token) is { } job && JobId.TryParse(job, out var jobId)
            && _jobs.Read(s => s.Find(jobId)) is { State: JobState.Running or JobState.Committing } view
            && ApiTokens.IsJobToken(_secret, token, job, view.Spec.User))
        {
            bool admin = view.Spec.Settings.TryGetValue(JobSubmitter.SuperuserSetting, out string? flag) && flag == "true";
            var groups = _access.Read(s => s.GroupsOf(view.Spec.User));
            return new Caller(view.Spec.User, [view.Spec.User, .. groups], admin, CallerKind.Job, job);
        }
        return null;
    }

    /// <summary>The job token for the executors of <paramref name="job"/>, run by <paramref name="user"/>.</summary>
    public string JobToken(string job, string user) => ApiTokens.JobToken(_secret, job, user);
}
