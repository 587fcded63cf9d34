using Colony.Cli.Commands;

namespace Colony.Cli.Tests;

/// <summary><c>colony lock</c> and <c>colony elect</c>: their command lines and pinned exit codes (the behaviour runs in the integration tests).</summary>
public sealed class RecipeCommandLineTests : IDisposable
{
    private readonly TemporaryDirectory directory = new();

    public void Dispose() => directory.Dispose();

    [Fact]
    public void Exit_codes_and_the_token_variable_are_frozen()
    {
        // Scripts test for these; changing one breaks them.
        Assert.Equal(75, RecipeCommands.TimedOut);
        Assert.Equal(76, RecipeCommands.Lost);
        Assert.Equal(126, RecipeCommands.NotExecutable);
        Assert.Equal(127, RecipeCommands.NotFound);
        Assert.Equal("COLONY_FENCING_TOKEN", RecipeCommands.FencingTokenVariable);
    }

    [Theory]
    [InlineData("lock")]
    [InlineData("elect")]
    public async Task Help_names_the_command_after_a_double_dash(string command)
    {
        var result = await new CliRun(directory.Path).RunAsync(command, "--help");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"colony {command} <PATH> [<COMMAND>...]", result.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("lock", "/l")]
    [InlineData("elect", "/e")]
    [InlineData("lock", "/l", "--")]
    public async Task A_missing_command_is_a_usage_error(params string[] args)
    {
        var result = await new CliRun(directory.Path).RunAsync(args);

        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.ErrorLines);
        Assert.Equal($"colony: name the COMMAND to run after --, e.g. colony {args[0]} PATH -- ./job.sh (see colony {args[0]} --help)", result.ErrorLines[0]);
    }

    [Theory]
    [InlineData("lock", "--timeout", "-1", "--timeout takes a number of seconds, 0 or more")]
    [InlineData("lock", "--timeout", "soon", "--timeout takes a number of seconds, 0 or more")]
    [InlineData("lock", "--session-timeout", "-1", "--session-timeout takes a positive number of seconds")]
    [InlineData("elect", "--session-timeout", "0", "--session-timeout takes a positive number of seconds")]
    public async Task Seconds_must_be_positive(string command, string option, string value, string message)
    {
        var result = await new CliRun(directory.Path).RunAsync(command, "/x", option, value, "--", "true");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"colony: {message} (see colony {command} --help)", Assert.Single(result.ErrorLines));
    }
}
