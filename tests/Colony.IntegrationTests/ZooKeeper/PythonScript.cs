using System.Diagnostics;
using System.Text;
using System.Threading.Channels;

namespace Colony.IntegrationTests.ZooKeeper;

/// <summary>
/// One of the kazoo scripts in tests/compat/faults, run as a child process with Debian's Python (the
/// one that has kazoo). Its stdout is kept line by line; the test waits for lines, answers on stdin,
/// or SIGKILLs it. The process is killed on dispose.
/// </summary>
internal sealed class PythonScript : IAsyncDisposable
{
    private const string Python = "/usr/bin/python3";

    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly List<string> _all = [];
    private readonly StringBuilder _errors = new();

    private PythonScript(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _lines.Writer.TryComplete();
                return;
            }
            lock (_all)
            {
                _all.Add(e.Data);
            }
            _lines.Writer.TryWrite(e.Data);
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_errors)
                {
                    _errors.AppendLine(e.Data);
                }
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Every line printed so far.</summary>
    public IReadOnlyList<string> Output
    {
        get
        {
            lock (_all)
            {
                return [.. _all];
            }
        }
    }

    public string Errors
    {
        get
        {
            lock (_errors)
            {
                return _errors.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Starts tests/compat/faults/<paramref name="script"/> with <paramref name="arguments"/>.</summary>
    public static PythonScript Start(string script, params string[] arguments)
    {
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(Path.Combine(FaultsFolder.Value, script));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        start.Environment["PYTHONUNBUFFERED"] = "1";
        return new PythonScript(Process.Start(start) ?? throw new InvalidOperationException($"could not start {Python}"));
    }

    /// <summary>The next line that satisfies <paramref name="match"/> (earlier lines are skipped, but kept in <see cref="Output"/>).</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, string what)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            while (await _lines.Reader.WaitToReadAsync(cancel.Token))
            {
                while (_lines.Reader.TryRead(out var line))
                {
                    if (match(line))
                    {
                        return line;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no line for {what} within {timeout.TotalSeconds:0} s.\n{Describe()}");
        }
        throw new InvalidOperationException($"the script exited before {what}.\n{Describe()}");
    }

    /// <summary>Polls <see cref="Output"/> until <paramref name="condition"/> holds.</summary>
    public async Task WaitForOutputAsync(Func<IReadOnlyList<string>, bool> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition(Output))
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"timed out after {timeout.TotalSeconds:0} s waiting for {what}.\n{Describe()}");
            }
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the script exited before {what}.\n{Describe()}");
            }
            await Task.Delay(50); // polling a child process's output, not a stand-in for synchronisation
        }
    }

    public async Task SendLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>SIGKILL: the client gets no chance to close its session.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancel.Token);
        return _process.ExitCode;
    }

    /// <summary>The script's stdout and stderr, for a failure message.</summary>
    public string Describe()
    {
        var output = Output;
        return $"stdout ({output.Count} lines, last 40):\n{string.Join('\n', output.Skip(Math.Max(0, output.Count - 40)))}\nstderr:\n{Errors}";
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }

    private static readonly Lazy<string> FaultsFolder = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "compat", "faults");
            if (File.Exists(Path.Combine(candidate, "load.py")))
            {
                return candidate;
            }
        }
        throw new InvalidOperationException($"tests/compat/faults not found above {AppContext.BaseDirectory}");
    });
}
