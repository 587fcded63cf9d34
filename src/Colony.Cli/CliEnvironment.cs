using Spectre.Console;

namespace Colony.Cli;

/// <summary>
/// What a command sees of the world: its output streams, environment variables, working directory
/// and clock. The process uses <see cref="FromProcess"/>; tests build one over string writers.
/// </summary>
internal sealed class CliEnvironment
{
    private IAnsiConsole? console;

    public required TextWriter Out { get; init; }

    public required TextWriter Error { get; init; }

    public required string WorkingDirectory { get; init; }

    public required Func<string, string?> GetVariable { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>True when <see cref="Out"/> is a terminal, so progress may animate and tables use colour.</summary>
    public bool IsTerminal { get; init; }

    /// <summary>Tables and progress, rendered onto <see cref="Out"/>.</summary>
    public IAnsiConsole Console => console ??= CreateConsole();

    public static CliEnvironment FromProcess() => new()
    {
        Out = System.Console.Out,
        Error = System.Console.Error,
        WorkingDirectory = Environment.CurrentDirectory,
        GetVariable = Environment.GetEnvironmentVariable,
        IsTerminal = !System.Console.IsOutputRedirected,
    };

    private IAnsiConsole CreateConsole()
    {
        if (IsTerminal)
        {
            return AnsiConsole.Console;
        }

        var plain = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Out),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        plain.Profile.Width = 160;
        return plain;
    }
}
