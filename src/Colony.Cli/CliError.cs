namespace Colony.Cli;

/// <summary>
/// An expected failure of a command. Its message is printed as one line, <c>colony: message</c>,
/// and the process exits with <see cref="ExitCode"/>.
/// </summary>
internal sealed class CliError(string message, int exitCode = CliError.Failure) : Exception(message)
{
    /// <summary>The command ran and failed.</summary>
    public const int Failure = 1;

    /// <summary>The command line itself was wrong.</summary>
    public const int Usage = 2;

    public int ExitCode { get; } = exitCode;
}
