using Colony.Cli.Commands;

namespace Colony.Cli.Tests;

public sealed class FsCommandTests : IDisposable
{
    private readonly TemporaryDirectory directory = new();

    public void Dispose() => directory.Dispose();

    [Theory]
    [InlineData("fs")]
    [InlineData("fs put")]
    [InlineData("fs get")]
    [InlineData("fs cat")]
    [InlineData("fs ls")]
    [InlineData("fs stat")]
    [InlineData("fs mkdir")]
    [InlineData("fs mv")]
    [InlineData("fs rm")]
    [InlineData("fs du")]
    [InlineData("fs setrep")]
    [InlineData("fs chmod")]
    [InlineData("fs chown")]
    [InlineData("fs fsck")]
    [InlineData("token")]
    [InlineData("token create")]
    [InlineData("token list")]
    [InlineData("token revoke")]
    [InlineData("token whoami")]
    public async Task Every_fs_command_has_help(string command)
    {
        var result = await new CliRun(directory.Path).RunAsync([.. command.Split(' '), "--help"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"colony {command}", result.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1048576", 1048576L)]
    [InlineData("1M", 1048576L)]
    [InlineData("1MiB", 1048576L)]
    [InlineData("64m", 67108864L)]
    [InlineData("512K", 524288L)]
    [InlineData("2G", 2147483648L)]
    [InlineData("100B", 100L)]
    [InlineData(null, 0L)]
    public void Block_sizes_take_binary_units(string? text, long bytes) => Assert.Equal(bytes, FsCommands.ParseSize(text));

    [Theory]
    [InlineData("M")]
    [InlineData("-1M")]
    [InlineData("1.5M")]
    [InlineData("0")]
    [InlineData("1T")]
    public void Bad_sizes_are_usage_errors(string text)
    {
        var error = Assert.Throws<CliError>(() => FsCommands.ParseSize(text));
        Assert.Equal(CliError.Usage, error.ExitCode);
    }
}

public sealed class CliTokenTests
{
    private static CliContext Context(Dictionary<string, string> variables) => new(new CliEnvironment
    {
        Out = TextWriter.Null,
        Error = TextWriter.Null,
        WorkingDirectory = Path.GetTempPath(),
        GetVariable = name => variables.TryGetValue(name, out var value) ? value : null,
    });

    private static readonly ClusterTarget Remote = new(null, null, []);

    [Fact]
    public void COLONY_TOKEN_wins_over_the_cluster_secret()
    {
        var cli = Context(new() { [FsCommands.TokenVariable] = " colony.abc.def\n", [FsCommands.SecretVariable] = "c2VjcmV0" });
        Assert.Equal("colony.abc.def", FsCommands.Token(cli, Remote));
    }

    [Fact]
    public void Without_a_user_token_the_cluster_token_is_the_secret_in_base64()
    {
        Assert.Equal("c2VjcmV0", FsCommands.Token(Context(new() { [FsCommands.SecretVariable] = "c2VjcmV0" }), Remote));
        Assert.Null(FsCommands.Token(Context([]), Remote));
    }
}
