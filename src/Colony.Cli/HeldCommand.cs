using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Colony.Cli;

/// <summary>
/// Starts the command that <c>colony lock</c> and <c>colony elect</c> run while they hold, so that it
/// cannot outlive them. If colony dies without stopping it (SIGKILL, the OOM killer, a crash), its
/// session expires and another holder may start: the command must not run on unprotected. So the
/// command is started under setpriv(1) with a parent-death signal, and the kernel sends it SIGKILL
/// the moment colony is gone.
/// </summary>
internal static partial class HeldCommand
{
    /// <summary>The outcome of resolving a command the way execvp(3) would.</summary>
    public enum Resolution
    {
        Found,
        NotFound,
        NotExecutable,
    }

    private const int ExecuteOk = 1; // X_OK

    /// <summary>Where setpriv(1) is (util-linux), or null: then the command runs without the guard.</summary>
    private static readonly string? Setpriv = Find("setpriv");

    /// <summary>True when commands are started with a parent-death signal.</summary>
    public static bool Guarded => Setpriv is not null;

    /// <summary>
    /// Finds the command as execvp(3) does: a name with a slash is a path; a bare name is searched
    /// for along PATH. Checked before starting, so that a missing command is reported as ours.
    /// </summary>
    public static Resolution Resolve(string command)
    {
        if (command.Contains('/', StringComparison.Ordinal))
        {
            return Check(command);
        }
        var found = Resolution.NotFound;
        foreach (string directory in SearchPath())
        {
            var here = Check(Path.Combine(directory, command));
            if (here == Resolution.Found)
            {
                return here;
            }
            if (here == Resolution.NotExecutable)
            {
                found = here;
            }
        }
        return found;
    }

    /// <summary>
    /// Starts the command with the given environment additions. It is started from a thread of its
    /// own that lives until the returned command is disposed: the kernel ties the parent-death signal
    /// to the thread that forked, not to the process, so a pool thread that retired would kill it.
    /// </summary>
    /// <exception cref="Win32Exception">The command could not be started.</exception>
    public static Running Start(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(Setpriv ?? argv[0]) { UseShellExecute = false };
        IEnumerable<string> arguments = Setpriv is null ? argv.Skip(1) : ["--pdeathsig", "KILL", "--", .. argv];
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        // The event is never disposed: the forking thread may still be leaving Wait when Dispose has
        // set it, and without a wait handle it holds no kernel object.
        var started = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        var exited = new ManualResetEventSlim();
        var owner = new Thread(() =>
        {
            try
            {
                var child = Process.Start(start) ?? throw new InvalidOperationException($"{argv[0]}: could not be started");
                started.SetResult(child);
            }
            catch (Exception e)
            {
                // Whatever it is, it belongs to the caller: this thread must not die of it.
                started.SetException(e);
                return;
            }
            exited.Wait();
        })
        { IsBackground = true, Name = "colony-command" };
        owner.Start();
        return new Running(started.Task.GetAwaiter().GetResult(), exited);
    }

    /// <summary>A started command. Dispose it once it has exited: that lets its forking thread go.</summary>
    public sealed class Running(Process process, ManualResetEventSlim exited) : IDisposable
    {
        public Process Process { get; } = process;

        public void Dispose()
        {
            exited.Set();
            Process.Dispose();
        }
    }

    private static Resolution Check(string path)
    {
        if (!File.Exists(path))
        {
            return Directory.Exists(path) ? Resolution.NotExecutable : Resolution.NotFound;
        }
        return Access(path, ExecuteOk) == 0 ? Resolution.Found : Resolution.NotExecutable;
    }

    private static IEnumerable<string> SearchPath()
    {
        string path = Environment.GetEnvironmentVariable("PATH") is { Length: > 0 } value ? value : "/usr/local/bin:/usr/bin:/bin";
        // An empty entry means the working directory, as for execvp(3).
        return path.Split(':').Select(entry => entry.Length == 0 ? "." : entry);
    }

    private static string? Find(string name)
    {
        foreach (string directory in SearchPath().Concat(["/usr/bin", "/bin"]))
        {
            string candidate = Path.Combine(directory, name);
            if (Path.IsPathRooted(candidate) && Check(candidate) == Resolution.Found)
            {
                return candidate;
            }
        }
        return null;
    }

    [LibraryImport("libc", EntryPoint = "access", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Access(string path, int mode);
}
