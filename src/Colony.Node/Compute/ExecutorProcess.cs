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

    private ExecutorProcess(Process process, string? job, Action<ExecutorMessage> received)
    {
        _process = process;
        Job = job;
        _readingErrors = Task.Run(ReadErrorsAsync);
        _reading = Task.Run(() => ReadAsync(received));
    }

    /// <summary>The job it serves; null while it stands by, warmed up, for the next job.</summary>
    public string? Job { get; private set; }

    public int ProcessId => _process.Id;

    /// <summary>Completes when the process has exited and its output is read; the result says why it ended.</summary>
    public Task<string> Exited => ExitedAsync();

    /// <summary>Starts an executor for <paramref name="job"/>, or a standby one (warming up, no job yet) when it is null.</summary>
    public static ExecutorProcess Start(ComputeOptions options, string? job, string nodeHttp, string? dataAddress, string blockDirectory, string workDirectory,
        string? token, NodeTls tls, Action<ExecutorMessage> received)
    {
        var (program, arguments) = Command(options.ExecutorCommand);
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workDirectory,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        string[] role = job is null ? ["--standby"] : ["--job", job, "--work", workDirectory];
        foreach (string argument in (string[])[.. role, "--node-http", nodeHttp, "--sort-buffer", options.SortBufferBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            start.ArgumentList.Add(argument);
        }
        if (dataAddress is not null)
        {
            // The executor reads this node's replicas straight from its files (short-circuit reads).
            foreach (string argument in (string[])["--data-address", dataAddress, "--block-directory", blockDirectory])
            {
                start.ArgumentList.Add(argument);
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
            // The executor reads the node's certificate files itself, to talk to the cluster as the node does.
            foreach (string argument in (string[])["--tls-ca", tls.Options.CaFile!, "--tls-cert", tls.Options.CertificateFile!, "--tls-key", tls.Options.KeyFile ?? "", .. tls.Peers is null ? (string[])[] : ["--tls-peers"]])
            {
                start.ArgumentList.Add(argument);
            }
            start.Environment[ExecutorProgram.CertificatePasswordVariable] = tls.Options.CertificatePassword ?? "";
        }
        start.Environment["DOTNET_gcServer"] = "0";
        if (options.ExecutorMemoryLimitBytes > 0)
        {
            start.Environment["DOTNET_GCHeapHardLimit"] = options.ExecutorMemoryLimitBytes.ToString("X", System.Globalization.CultureInfo.InvariantCulture);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start the executor ({program})");
        return new ExecutorProcess(process, job, received);
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

    /// <summary>Kills the process at once: the only way to stop user code that hangs.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private async Task<string> ExitedAsync()
    {
        await _process.WaitForExitAsync().ConfigureAwait(false);
        await Task.WhenAll(_reading, _readingErrors).ConfigureAwait(false);
        string tail;
        lock (_stderr)
        {
            tail = string.Join(" | ", _stderr);
        }
        return $"the executor exited with code {_process.ExitCode}" + (tail.Length > 0 ? $": {tail}" : "");
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
    private static (string Program, IReadOnlyList<string> Arguments) Command(string? configured)
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
            await Exited.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
        _process.Dispose();
        _writeLock.Dispose();
    }
}
