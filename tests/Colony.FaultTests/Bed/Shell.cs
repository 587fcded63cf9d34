using System.Diagnostics;

namespace Colony.FaultTests.Bed;

/// <summary>Runs the system tools that build and break the bed (ip, nft), and reports their failures in full.</summary>
internal static class Shell
{
    /// <summary>Runs the command and returns its standard output; throws with its error output if it fails.</summary>
    public static string Run(string file, params string[] arguments)
    {
        var (exit, output, error) = TryRun(file, arguments);
        if (exit != 0)
        {
            throw new InvalidOperationException($"`{file} {string.Join(' ', arguments)}` exited {exit}: {error.Trim()}");
        }
        return output;
    }

    /// <summary>Runs the command; never throws for a non-zero exit (cleanup uses it on things that may be gone).</summary>
    public static (int Exit, string Output, string Error) TryRun(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        try
        {
            using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
            var error = process.StandardError.ReadToEndAsync();
            string output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output, error.GetAwaiter().GetResult());
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (127, "", $"{file}: {e.Message}");
        }
    }

    /// <summary>Runs the command inside a network namespace.</summary>
    public static string InNamespace(string ns, string file, params string[] arguments) =>
        Run("ip", ["netns", "exec", ns, file, .. arguments]);
}
