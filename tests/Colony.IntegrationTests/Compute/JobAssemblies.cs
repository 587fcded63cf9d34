using System.Diagnostics;

namespace Colony.IntegrationTests.Compute;

/// <summary>Builds a job assembly project, as a user would, for a test to submit.</summary>
internal static class JobAssemblies
{
    /// <summary>Every output directory built in this test run: removed when the test process exits.</summary>
    private static readonly List<string> Built = [];

    static JobAssemblies() => AppDomain.CurrentDomain.ProcessExit += (_, _) => RemoveBuilt();

    /// <summary>Builds the project in <paramref name="projectDirectory"/>; returns the directory holding its output.</summary>
    public static string Build(string projectDirectory)
    {
        string directory = Directory.CreateTempSubdirectory($"colony-{Path.GetFileName(projectDirectory)}-").FullName;
        lock (Built)
        {
            Built.Add(directory);
        }
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in (string[])["build", projectDirectory, "-c", "Release", "-v", "quiet", "-nologo", "-o", directory])
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, stdout.Result + stderr.Result);
        return directory;
    }

    private static void RemoveBuilt()
    {
        lock (Built)
        {
            foreach (string directory in Built)
            {
                try
                {
                    Directory.Delete(directory, recursive: true);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                }
            }
            Built.Clear();
        }
    }
}
