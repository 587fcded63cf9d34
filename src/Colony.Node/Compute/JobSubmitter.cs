using Colony.Client.Jobs;
using Colony.Compute.Jobs;
using Colony.Compute.Scheduling;
using Colony.Core;
using Colony.Node.FileSystem;
using Colony.Node.Security;
using Colony.Storage.Namespace;

namespace Colony.Node.Compute;

/// <summary>A job the leader would not take, and why, with the HTTP status to answer.</summary>
public sealed class JobRejectedException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>
/// Turns a submitted job into a Submit command: checks its paths, expands input directories into files
/// (skipping names that start with '_' or '.', as Hadoop does), cuts one split per block with the nodes holding
/// it, and creates the output's temporary directory.
/// </summary>
public sealed class JobSubmitter(JobsService jobs, NamespaceService names, BlockManager blocks)
{
    public const int MaxReducers = 10_000;

    /// <summary>
    /// Set by the leader, never by the client: "true" when an administrator submitted the job, so its tasks act
    /// as the superuser too. Any value the request brings is dropped.
    /// </summary>
    public const string SuperuserSetting = "colony.job.superuser";

    /// <exception cref="JobRejectedException">
    /// The job is malformed, its input is missing, its output exists, or <paramref name="caller"/> may not read
    /// the input or write the output (403).
    /// </exception>
    public async Task<JobId> SubmitAsync(JobRequest request, Caller caller)
    {
        var (output, inputs, checkedSettings) = Check(request);
        if (names.Read(t => t.Stat(output)) is not null)
        {
            throw new JobRejectedException(409, $"output {output} already exists: choose another, or remove it first");
        }
        // The job's tasks act as its user: what the user may not do, the job may not either.
        string user = FsEndpoints.OwnerFor(caller, request.User);
        var fsCaller = caller.IsAdmin ? caller.Fs : new FsCaller(user, caller.Groups, false);
        Allowed(fsCaller, output, new FsPermissionCheck(Ancestor: FsAccess.WriteExecute), "write the output");
        var files = ExpandInputs(inputs, fsCaller);
        long now = jobs.Now;
        var splits = SplitPlanner.Plan(files.Select(f => new InputFile(f.Path, f.Length, f.Blocks)));
        var mkdirs = await names.ExecuteAsync(new NamespaceCommand.Mkdirs($"{output}/{JobCommitter.TemporaryDirectory}",
            user, user, 0x1ED, now)).ConfigureAwait(false);
        if (!mkdirs.IsOk)
        {
            throw new JobRejectedException(409, $"cannot create {output}: {mkdirs.Message}");
        }
        var settings = checkedSettings;
        settings.Remove(SuperuserSetting);
        if (caller.IsAdmin)
        {
            settings[SuperuserSetting] = "true";
        }
        var spec = new JobSpec(request.Name, user, request.Priority, [.. request.Inputs], output, request.Reducers, settings);
        var result = await jobs.ExecuteAsync(new JobsCommand.Submit(spec, splits, now)).ConfigureAwait(false);
        return result is { Ok: true, Job: { } id } ? id : throw new JobRejectedException(400, result.Message ?? "the job was refused");
    }

    /// <summary>
    /// Checks a job request as it came off the wire, before anything is looked up: the fields a job needs are
    /// there and well formed. Returns the output directory and the inputs without trailing slashes, and a copy of
    /// the settings. JSON can say null where a string belongs: that is a bad request, never a server error.
    /// </summary>
    /// <exception cref="JobRejectedException">400: what is wrong with the request.</exception>
    internal static (string Output, IReadOnlyList<string> Inputs, Dictionary<string, string> Settings) Check(JobRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.Name) || request.Inputs is not { Count: > 0 } || string.IsNullOrWhiteSpace(request.Output))
        {
            throw new JobRejectedException(400, "a job needs a name, at least one input and an output");
        }
        if (request.Reducers is < 0 or > MaxReducers)
        {
            throw new JobRejectedException(400, $"reducers must be between 0 and {MaxReducers}");
        }
        string output = request.Output.TrimEnd('/');
        if (!FsPath.TryParse(output, out _, out string? why))
        {
            throw new JobRejectedException(400, $"output {request.Output}: {why}");
        }
        var inputs = new List<string>(request.Inputs.Count);
        foreach (string? input in request.Inputs)
        {
            if (string.IsNullOrEmpty(input))
            {
                throw new JobRejectedException(400, "an input must be a path, not null or empty");
            }
            string path = input.Length > 1 ? input.TrimEnd('/') : input;
            if (path == output || path.StartsWith(output + "/", StringComparison.Ordinal))
            {
                throw new JobRejectedException(400, $"input {path} is inside the output {output}");
            }
            inputs.Add(path);
        }
        if (request.Settings is null || request.Settings.Values.Any(v => v is null))
        {
            throw new JobRejectedException(400, "settings must be an object of strings");
        }
        return (output, inputs, new Dictionary<string, string>(request.Settings, StringComparer.Ordinal));
    }

    private void Allowed(FsCaller caller, string path, FsPermissionCheck check, string what)
    {
        if (names.Read(t => FsPermissions.Check(t, caller, path, check)) is { } why)
        {
            throw new JobRejectedException(403, $"{caller.User} may not {what} of this job: {why}");
        }
    }

    private List<(string Path, long Length, IReadOnlyList<InputBlock> Blocks)> ExpandInputs(IReadOnlyList<string> inputs, FsCaller caller)
    {
        long now = jobs.BlockManagerNow;
        var files = new List<(string, long, IReadOnlyList<InputBlock>)>();
        foreach (string path in inputs)
        {
            var status = names.Read(t => t.Stat(path)) ?? throw new JobRejectedException(404, $"input {path}: no such file or directory");
            Allowed(caller, path, new FsPermissionCheck(Target: status.IsDirectory ? FsAccess.ReadExecute : FsAccess.Read), $"read the input {path}");
            var members = status.IsDirectory
                ? names.Read(t => t.List(path) ?? []).Where(s => !s.IsDirectory && !Hidden(s.Path)).OrderBy(s => s.Path, StringComparer.Ordinal).ToArray()
                : [status];
            foreach (var file in members)
            {
                Allowed(caller, file.Path, new FsPermissionCheck(Target: FsAccess.Read), $"read the input {file.Path}");
                var range = names.Read(t => t.GetBlockLocations(file.Path, 0, long.MaxValue))
                    ?? throw new JobRejectedException(404, $"input {file.Path}: no such file");
                if (!range.IsComplete)
                {
                    throw new JobRejectedException(409, $"input {file.Path} is still being written");
                }
                var located = range.Blocks.Select(b => new InputBlock(b.Offset, b.Block.Length, Hosts(b.Block, now))).ToArray();
                files.Add((file.Path, range.FileLength, located));
            }
        }
        return files;
    }

    private IReadOnlyList<NodeId> Hosts(FileBlock block, long now) =>
        [.. blocks.Locations(block.Version, null, now).Select(blocks.NodeAt).OfType<NodeId>()];

    private static bool Hidden(string path)
    {
        string name = path[(path.LastIndexOf('/') + 1)..];
        return name.StartsWith('_') || name.StartsWith('.');
    }
}
