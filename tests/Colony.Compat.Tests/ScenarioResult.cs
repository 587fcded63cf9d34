namespace Colony.Compat.Tests;

/// <summary>
/// What one scenario run produced: its normalized transcript (stdout without control lines), its
/// diagnostics (stderr) and its exit code.
/// </summary>
public sealed record ScenarioResult(string Name, int ExitCode, string Transcript, string Errors, TimeSpan Elapsed)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>Everything worth seeing when a check on this run fails.</summary>
    public string Describe() =>
        $"scenario {Name} exited with {ExitCode} after {Elapsed.TotalSeconds:0.0} s\n--- transcript\n{Transcript}\n--- stderr\n{Errors}";
}
