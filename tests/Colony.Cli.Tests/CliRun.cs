using System.Collections.Concurrent;

namespace Colony.Cli.Tests;

/// <summary>The outcome of one <c>colony</c> command line.</summary>
internal sealed record CliResult(int ExitCode, string Out, string Error)
{
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Out}\nstderr:\n{Error}";
}

/// <summary>Runs the CLI in this process over string writers, with its own environment variables.</summary>
internal sealed class CliRun
{
    private readonly ConcurrentDictionary<string, string> variables = new();

    public CliRun(string workingDirectory)
    {
        WorkingDirectory = workingDirectory;
    }

    public string WorkingDirectory { get; }

    public CliRun With(string name, string value)
    {
        variables[name] = value;
        return this;
    }

    public async Task<CliResult> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var environment = new CliEnvironment
        {
            Out = output,
            Error = error,
            WorkingDirectory = WorkingDirectory,
            GetVariable = name => variables.TryGetValue(name, out var value) ? value : null,
        };
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var exitCode = await CliApplication.RunAsync(args, environment, timeout.Token);
        return new CliResult(exitCode, output.ToString(), error.ToString());
    }
}
