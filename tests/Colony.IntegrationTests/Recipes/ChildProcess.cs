using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Colony.IntegrationTests.Recipes;

/// <summary>
/// A real child process (`colony lock`, a shell script, an example) with its output collected. It
/// is killed, with its descendants, on dispose, so no test leaves one behind.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    public const int SigKill = 9;
    public const int SigTerm = 15;
    public const int SigCont = 18;
    public const int SigStop = 19;

    private readonly Process _process;
    private readonly StringBuilder _out = new();
    private readonly StringBuilder _err = new();

    private ChildProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(_out, e.Data);
        _process.ErrorDataReceived += (_, e) => Append(_err, e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output => Read(_out);

    public string Error => Read(_err);

    /// <summary>Runs the `colony` command built with the tests, on the given cluster.</summary>
    public static ChildProcess Colony(string connectString, string workingDirectory, params string[] args) =>
        Colony(connectString, workingDirectory, new Dictionary<string, string>(), args);

    public static ChildProcess Colony(string connectString, string workingDirectory, Dictionary<string, string> environment, params string[] args) =>
        Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "colony.dll"), .. args], workingDirectory,
            new(environment) { ["COLONY_CLUSTER"] = connectString });

    public static ChildProcess Start(string file, IEnumerable<string> args, string workingDirectory, Dictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        foreach (var (name, value) in environment ?? [])
        {
            start.Environment[name] = value;
        }
        return new ChildProcess(Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}"));
    }

    /// <summary>Waits for the exit and returns the exit code; fails the test if it takes longer than <paramref name="timeout"/>.</summary>
    public async Task<int> ExitCodeAsync(TimeSpan timeout)
    {
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Describe()} did not exit within {timeout.TotalSeconds:0} s; stdout: {Output}; stderr: {Error}");
        }
        _process.WaitForExit(); // the output is complete only after this
        return _process.ExitCode;
    }

    public void Signal(int signal) => Signal(_process.Id, signal);

    public static void Signal(int pid, int signal)
    {
        if (Kill(pid, signal) != 0)
        {
            throw new InvalidOperationException($"could not send signal {signal} to {pid}: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                // A stopped process cannot die until it is continued.
                _ = Kill(_process.Id, SigCont);
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _process.Dispose();
    }

    public override string ToString() => $"{Describe()}: stdout: {Output}; stderr: {Error}";

    private string Describe() => $"{_process.StartInfo.FileName} {string.Join(' ', _process.StartInfo.ArgumentList.Skip(1))}";

    private static void Append(StringBuilder buffer, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (buffer)
        {
            buffer.AppendLine(line);
        }
    }

    private static string Read(StringBuilder buffer)
    {
        lock (buffer)
        {
            return buffer.ToString();
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
