using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using Colony.Node.Security;

namespace Colony.Node.Compute;

/// <summary>
/// One executor process: runs a job's tasks on this node, so user code never runs inside the node. The
/// worker writes <see cref="ExecutorMessage"/> lines to its standard input (run, kill) and reads lines back
/// (progress, done). When the process exits, every attempt it was running has failed with its exit code
/// and the last lines of its standard error.
/// </summary>
internal sealed class ExecutorProcess : IAsyncDisposable
{
    private const int StderrLinesKept = 20;

    private readonly Process _process;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Queue<string> _stderr = new();
    private readonly Task _reading;
    private readonly Task _readingErrors;
    private readonly Task<string> _exited;

    private readonly long _memoryLimit;

    private ExecutorProcess(Process process, string? job, string home, long memoryLimit, Action<ExecutorMessage> received)
    {
        _process = process;
        _memoryLimit = memoryLimit;
        Job = job;
        Home = home;
        _readingErrors = Task.Run(ReadErrorsAsync);
        _reading = Task.Run(() => ReadAsync(received));
        _exited = ExitedAsync();
    }

    /// <summary>The job it serves; null while it stands by, warmed up, for the next job.</summary>
    public string? Job { get; private set; }

    public int ProcessId => _process.Id;

    /// <summary>The directory it was started in: its job's, or a standby's own, which goes when the process does.</summary>
    public string Home { get; }

    /// <summary>
    /// Completes when the process has exited and its output is read; the result says why it ended. One task for
    /// every caller, so the reason is read once, before <see cref="DisposeAsync"/> releases the process: a watcher
    /// that asked after the disposal would otherwise fail, and leave its executor's directory behind.
    /// </summary>
    public Task<string> Exited => _exited;

    /// <summary>
    /// Starts an executor for <paramref name="job"/>, or a standby one (warming up, no job yet) when it is null, in
    /// <paramref name="home"/>: its working directory, HOME and (under tmp/) TMPDIR, so neither the runtime nor a
    /// script needs a home of its own. A job's executor is started in the job's directory.
    /// </summary>
    public static ExecutorProcess Start(ComputeOptions options, TaskSandbox sandbox, string? job, string home, string nodeHttp, string? dataAddress,
        string blockDirectory, string? token, NodeTls tls, Action<ExecutorMessage> received)
    {
        var (program, arguments) = Command(options.ExecutorCommand);
        // In a process group of its own: Kill ends it and every process its tasks started with one signal.
        var start = ProcessGroup.StartInfo(program, arguments);
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.WorkingDirectory = home;
        if (sandbox.Identity.Account is { } account)
        {
            // The runtime switches the child to the account's uid, gid and groups between fork and exec.
            start.UserName = account.Name;
        }
        string[] role = job is null ? ["--standby"] : ["--job", job, "--work", home];
        foreach (string argument in (string[])[.. role, "--node-http", nodeHttp, "--sort-buffer", options.SortBufferBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            start.ArgumentList.Add(argument);
        }
        if (dataAddress is not null)
        {
            start.ArgumentList.Add("--data-address");
            start.ArgumentList.Add(dataAddress);
            if (!sandbox.Identity.Isolated)
            {
                // The executor reads this node's replicas straight from its files (short-circuit reads). A task user
                // may not read them: it reads through the data port, with block tokens, as from any other node.
                start.ArgumentList.Add("--block-directory");
                start.ArgumentList.Add(blockDirectory);
            }
        }
        // The job's token goes in the environment, not the command line, where any user could read it. A standby
        // executor has none until it is assigned a job. The cluster token never reaches an executor.
        foreach (string inherited in start.Environment.Keys.Where(IsCredential).ToArray())
        {
            start.Environment.Remove(inherited); // e.g. a secret the node itself was given in its environment
        }
        if (token is not null)
        {
            start.Environment[ExecutorProgram.TokenVariable] = token;
        }
        if (tls.HttpTrust is not null)
        {
            // The executor reads the node's certificate files itself, to talk to the cluster as the node does; a task
            // user, which cannot read the node's key, gets copies of its own.
            string Copy(string file) => sandbox.ForExecutor(file);
            foreach (string argument in (string[])["--tls-ca", Copy(tls.Options.CaFile!), "--tls-cert", Copy(tls.Options.CertificateFile!),
                "--tls-key", tls.Options.KeyFile is { } key ? Copy(key) : "", .. tls.Peers is null ? (string[])[] : ["--tls-peers"]])
            {
                start.ArgumentList.Add(argument);
            }
            start.Environment[ExecutorProgram.CertificatePasswordVariable] = tls.Options.CertificatePassword ?? "";
        }
        start.Environment["HOME"] = home;
        start.Environment["DOTNET_CLI_HOME"] = home;
        start.Environment["TMPDIR"] = TaskSandbox.TemporaryDirectory(home);
        start.Environment["DOTNET_gcServer"] = "0";
        if (options.ExecutorMemoryLimitBytes > 0)
        {
            start.Environment["DOTNET_GCHeapHardLimit"] = options.ExecutorMemoryLimitBytes.ToString("X", System.Globalization.CultureInfo.InvariantCulture);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start the executor ({program})");
        return new ExecutorProcess(process, job, home, options.ExecutorMemoryLimitBytes, received);
    }

    private static bool IsCredential(string variable) =>
        variable.Contains("SECRET", StringComparison.OrdinalIgnoreCase) || variable.Contains("TOKEN", StringComparison.OrdinalIgnoreCase);

    /// <summary>Gives a standby executor its job: from now on it serves that job only.</summary>
    public async Task AssignAsync(string job, string workDirectory, string token)
    {
        if (Job is not null)
        {
            throw new InvalidOperationException($"the executor already serves {Job}");
        }
        Job = job;
        await SendAsync(new ExecutorMessage { Op = "assign", Job = job, Work = workDirectory, Token = token }).ConfigureAwait(false);
    }

    public bool HasExited => _process.HasExited;

    public async Task SendAsync(ExecutorMessage message)
    {
        string line = JsonSerializer.Serialize(message, ComputeJson.Default.ExecutorMessage);
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await _process.StandardInput.WriteLineAsync(line).ConfigureAwait(false);
            await _process.StandardInput.FlushAsync().ConfigureAwait(false);
        }
        catch (IOException)
        {
            // It has exited: Exited reports it.
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Kills the process and its group at once: the only way to stop user code that hangs.</summary>
    public void Kill() => ProcessGroup.Kill(_process);

    private async Task<string> ExitedAsync()
    {
        await _process.WaitForExitAsync().ConfigureAwait(false);
        await Task.WhenAll(_reading, _readingErrors).ConfigureAwait(false);
        string tail;
        lock (_stderr)
        {
            tail = string.Join(" | ", _stderr);
        }
        return ExitReason(_process.ExitCode, tail, _memoryLimit);
    }

    /// <summary>
    /// Why an executor ended, from its exit code and the last lines of its standard error. Running out of memory
    /// usually reaches the task as an <see cref="OutOfMemoryException"/>, but when another thread (or the runtime
    /// itself) is the one whose allocation fails, the runtime aborts with "Out of memory.": that is named for what it is.
    /// </summary>
    internal static string ExitReason(int exitCode, string stderrTail, long memoryLimit)
    {
        string exited = $"exited with code {exitCode}" + (stderrTail.Length > 0 ? $": {stderrTail}" : "");
        return stderrTail.Contains("Out of memory.", StringComparison.Ordinal)
            ? $"the executor ran out of memory{(memoryLimit > 0 ? $" (its limit is {memoryLimit} bytes)" : "")}; the runtime stopped it ({exited})"
            : $"the executor {exited}";
    }

    private async Task ReadAsync(Action<ExecutorMessage> received)
    {
        while (await _process.StandardOutput.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            ExecutorMessage? message;
            try
            {
                message = JsonSerializer.Deserialize(line, ComputeJson.Default.ExecutorMessage);
            }
            catch (JsonException)
            {
                Keep($"(stdout) {line}"); // user code that printed to standard output
                continue;
            }
            if (message is not null)
            {
                received(message);
            }
        }
    }

    private async Task ReadErrorsAsync()
    {
        while (await _process.StandardError.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            Keep(line);
        }
    }

    private void Keep(string line)
    {
        lock (_stderr)
        {
            _stderr.Enqueue(line.Length > 500 ? line[..500] : line);
            while (_stderr.Count > StderrLinesKept)
            {
                _stderr.Dequeue();
            }
        }
    }

    /// <summary>This node's own program, run with "executor", unless configured otherwise.</summary>
    internal static (string Program, IReadOnlyList<string> Arguments) Command(string? configured)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            string[] words = configured.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return (words[0], words[1..]);
        }
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell which program to start executors with");
        if (string.Equals(Path.GetFileNameWithoutExtension(self), "dotnet", StringComparison.Ordinal))
        {
            string assembly = Assembly.GetEntryAssembly()?.Location ?? throw new InvalidOperationException("cannot tell which assembly to start executors with");
            return (self, [assembly, "executor"]);
        }
        return (self, ["executor"]);
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            await _exited.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return; // still exiting: the process stays ours until it has, for Exited to read its code
        }
        _process.Dispose();
        _writeLock.Dispose();
    }
}
