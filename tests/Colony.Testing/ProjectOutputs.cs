using System.Diagnostics;

namespace Colony.Testing;

/// <summary>
/// The build output of a project that the solution builds for tests to run or submit (the C# examples,
/// the test job assemblies), in the tests' own configuration. The solution's build makes it once; a
/// test run of one project on its own builds it here when it is missing or older than its sources.
/// A build started from a test is slow: the test runner's environment turns MSBuild's reused nodes off,
/// so each one starts MSBuild cold (about 15 s here).
/// </summary>
public static class ProjectOutputs
{
    private static readonly Lock Gate = new();

    /// <summary>The directory holding <paramref name="assemblyName"/>.dll, built from <paramref name="projectDirectory"/>.</summary>
    public static string Directory(string projectDirectory, string assemblyName)
    {
        // A test assembly runs from bin/<configuration>/<framework>/: build the project the same way.
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string framework = testOutput.Name;
        string configuration = testOutput.Parent!.Name;
        string output = Path.Combine(projectDirectory, "bin", configuration, framework);
        string assembly = Path.Combine(output, assemblyName + ".dll");
        lock (Gate)
        {
            if (IsStale(projectDirectory, assembly, configuration, framework))
            {
                Build(projectDirectory, configuration);
            }
        }
        return File.Exists(assembly)
            ? output
            : throw new InvalidOperationException($"building {projectDirectory} made no {assembly}");
    }

    /// <summary>Missing, or older than a source of the project or than the client library it references.</summary>
    private static bool IsStale(string projectDirectory, string assembly, string configuration, string framework)
    {
        if (!File.Exists(assembly))
        {
            return true;
        }
        DateTime built = File.GetLastWriteTimeUtc(assembly);
        string root = RepositoryRootOf(projectDirectory);
        string client = Path.Combine(root, "src", "Colony.Client", "bin", configuration, framework, "Colony.Client.dll");
        if (File.Exists(client) && File.GetLastWriteTimeUtc(client) > built)
        {
            return true;
        }
        return System.IO.Directory.EnumerateFiles(projectDirectory, "*", SearchOption.AllDirectories)
            .Where(file => !IsUnder(projectDirectory, file, "bin") && !IsUnder(projectDirectory, file, "obj"))
            .Any(file => File.GetLastWriteTimeUtc(file) > built);
    }

    private static bool IsUnder(string projectDirectory, string file, string folder) =>
        file.StartsWith(Path.Combine(projectDirectory, folder) + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    private static string RepositoryRootOf(string directory)
    {
        for (string? current = directory; current is not null; current = Path.GetDirectoryName(current))
        {
            if (File.Exists(Path.Combine(current, "Colony.slnx")))
            {
                return current;
            }
        }
        throw new InvalidOperationException($"{directory} is not inside the repository");
    }

    private static void Build(string projectDirectory, string configuration)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in (string[])["build", projectDirectory, "-c", configuration, "-v", "quiet", "-nologo"])
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet build {projectDirectory} failed ({process.ExitCode}):\n{stdout.Result}{stderr.Result}");
        }
    }
}
