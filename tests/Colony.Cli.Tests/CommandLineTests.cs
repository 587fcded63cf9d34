using System.Diagnostics;

namespace Colony.Cli.Tests;

public sealed class CommandLineTests : IDisposable
{
    private readonly TemporaryDirectory directory = new();

    public void Dispose() => directory.Dispose();

    public static TheoryData<string> Commands() =>
    [
        "",
        "up",
        "down",
        "status",
        "node",
        "node start",
        "node stop",
        "node kill",
        "cluster",
        "cluster add-node",
        "cluster remove-node",
    ];

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Every_command_has_help(string command)
    {
        var result = await new CliRun(directory.Path).RunAsync([.. command.Split(' ', StringSplitOptions.RemoveEmptyEntries), "--help"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Usage:", result.Out, StringComparison.Ordinal);
        Assert.Contains($"colony {command}".TrimEnd(), result.Out, StringComparison.Ordinal);
        Assert.Equal("", result.Error);
    }

    [Theory]
    [InlineData("launch")]
    [InlineData("node", "restart", "1")]
    [InlineData("up", "--bogus")]
    [InlineData("status", "--jsn")]
    [InlineData("")]
    [InlineData("node", "start")]
    [InlineData("node", "kill", "x")]
    [InlineData("node", "stop", "0")]
    [InlineData("up", "--nodes", "x")]
    [InlineData("up", "--timeout", "-1")]
    public async Task Bad_command_lines_fail_with_one_usage_line(params string[] args)
    {
        var result = await new CliRun(directory.Path).RunAsync([.. args.Where(a => a.Length > 0)]);

        Assert.Equal(CliError.Usage, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("colony: ", line, StringComparison.Ordinal);
        Assert.EndsWith("--help)", line, StringComparison.Ordinal);
        Assert.Equal("", result.Out);
    }

    [Fact]
    public async Task Unknown_command_names_the_word()
    {
        var result = await new CliRun(directory.Path).RunAsync("launch");

        Assert.Equal("colony: unrecognized command or argument 'launch' (see colony --help)", Assert.Single(result.ErrorLines));
    }

    [Theory]
    [InlineData("status")]
    [InlineData("down")]
    [InlineData("node", "start", "1")]
    [InlineData("node", "stop", "1")]
    [InlineData("node", "kill", "1")]
    [InlineData("cluster", "add-node")]
    [InlineData("cluster", "remove-node", "2")]
    public async Task Commands_on_a_missing_cluster_fail_with_one_line_and_create_nothing(params string[] args)
    {
        var missing = directory.Combine("absent");

        var result = await new CliRun(directory.Path).RunAsync([.. args, "--data", missing]);

        Assert.Equal(CliError.Failure, result.ExitCode);
        Assert.Equal($"colony: no cluster in {missing}: cluster.json not found (start one with colony up)", Assert.Single(result.ErrorLines));
        Assert.False(Directory.Exists(missing));
    }

    [Fact]
    public async Task Default_directory_is_dot_colony_under_the_working_directory()
    {
        var result = await new CliRun(directory.Path).RunAsync("status");

        Assert.Contains($"no cluster in {directory.Combine(".colony")}:", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Colony_data_names_the_directory_and_the_flag_wins_over_it()
    {
        var run = new CliRun(directory.Path).With("COLONY_DATA", "from-env");

        var fromEnvironment = await run.RunAsync("status");
        var fromFlag = await run.RunAsync("status", "--data", "from-flag");

        Assert.Contains($"no cluster in {directory.Combine("from-env")}:", fromEnvironment.Error, StringComparison.Ordinal);
        Assert.Contains($"no cluster in {directory.Combine("from-flag")}:", fromFlag.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Data_and_cluster_together_are_a_usage_error()
    {
        var result = await new CliRun(directory.Path).RunAsync("status", "--data", "x", "--cluster", "127.0.0.1:1");

        Assert.Equal(CliError.Usage, result.ExitCode);
        Assert.Equal("colony: give either --data or --cluster, not both", Assert.Single(result.ErrorLines));
    }

    [Theory]
    [InlineData("up")]
    [InlineData("down")]
    [InlineData("node", "kill", "1")]
    [InlineData("cluster", "add-node")]
    public async Task Local_process_commands_refuse_a_cluster_given_by_address(params string[] args)
    {
        var result = await new CliRun(directory.Path).RunAsync([.. args, "--cluster", "127.0.0.1:1"]);

        Assert.Equal(CliError.Usage, result.ExitCode);
        Assert.Contains("not --cluster", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Node_without_config_or_subcommand_is_a_usage_error()
    {
        var result = await new CliRun(directory.Path).RunAsync("node");

        Assert.Equal(CliError.Usage, result.ExitCode);
        Assert.StartsWith("colony: colony node needs --config FILE", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Node_with_a_missing_config_fails_with_one_line()
    {
        var result = await new CliRun(directory.Path).RunAsync("node", "--config", "absent.json");

        Assert.Equal(CliError.Failure, result.ExitCode);
        Assert.Equal($"colony: no node configuration at {directory.Combine("absent.json")}", Assert.Single(result.ErrorLines));
    }

    [Fact]
    public async Task Up_rejects_a_layout_outside_the_port_range_before_touching_the_disk()
    {
        var data = directory.Combine("cluster");

        var result = await new CliRun(directory.Path).RunAsync("up", "--data", data, "--base-port", "65530");

        Assert.Equal(CliError.Usage, result.ExitCode);
        Assert.Single(result.ErrorLines);
        Assert.False(Directory.Exists(data));
    }

    [Theory]
    [InlineData("127.0.0.1:8080", "http://127.0.0.1:8080/")]
    [InlineData("http://127.0.0.1:8081", "http://127.0.0.1:8081/")]
    [InlineData(" localhost:9000 ", "http://localhost:9000/")]
    public void Cluster_addresses_are_host_port_or_urls(string address, string expected)
    {
        Assert.Equal(new Uri(expected), NodeEndpoint.ParseHttp(address));
    }

    [Theory]
    [InlineData("ftp://127.0.0.1:21")]
    [InlineData("http://127.0.0.1:8080/status")]
    [InlineData("not a host")]
    public void Bad_cluster_addresses_are_usage_errors(string address)
    {
        Assert.Equal(CliError.Usage, Assert.Throws<CliError>(() => NodeEndpoint.ParseHttp(address)).ExitCode);
    }

    [Fact]
    public void Cluster_lists_split_on_commas()
    {
        var nodes = NodeEndpoint.ParseList("127.0.0.1:8080, 127.0.0.1:8081,,");

        Assert.Equal(["http://127.0.0.1:8080/", "http://127.0.0.1:8081/"], nodes.Select(n => n.Http.ToString()));
        Assert.All(nodes, n => Assert.Null(n.Id));
    }

    [Theory]
    [InlineData("dotnet stand-in.dll", new[] { "dotnet", "stand-in.dll" })]
    [InlineData("  \"/opt/my tools/node\"  --fast ", new[] { "/opt/my tools/node", "--fast" })]
    [InlineData("a \"\" b", new[] { "a", "", "b" })]
    public void Node_command_override_splits_like_a_shell_with_double_quotes(string value, string[] expected)
    {
        Assert.Equal(expected, NodeCommandLine.Split(value));
    }

    [Fact]
    public void Node_command_override_gets_the_config_appended()
    {
        var environment = new CliEnvironment
        {
            Out = TextWriter.Null,
            Error = TextWriter.Null,
            WorkingDirectory = "/",
            GetVariable = name => name == NodeCommandLine.OverrideVariable ? "runner --quiet" : null,
        };

        var command = NodeCommandLine.Resolve(environment);

        Assert.Equal("runner", command.Executable);
        Assert.Equal(["--quiet", "--config", "/c/node-1.json"], command.ArgumentsFor("/c/node-1.json"));
    }

    [Fact]
    public void A_process_is_a_node_only_with_its_own_config_argument()
    {
        Assert.True(ProcessTable.HasConfigArgument(["/x/colony", "node", "--config", "/c/node-1.json"], "/c/node-1.json"));
        Assert.True(ProcessTable.HasConfigArgument(["dotnet", "colony.dll", "node", "--config", "/c/./node-1.json"], "/c/node-1.json"));
        Assert.False(ProcessTable.HasConfigArgument(["/x/colony", "node", "--config", "/c/node-11.json"], "/c/node-1.json"));
        Assert.False(ProcessTable.HasConfigArgument(["/x/colony", "node", "/c/node-1.json"], "/c/node-1.json"));
        Assert.False(ProcessTable.HasConfigArgument(["/x/colony", "--config"], "/c/node-1.json"));
        Assert.False(ProcessTable.HasConfigArgument([], "/c/node-1.json"));
    }

    [Fact]
    public void No_process_is_a_node_when_it_does_not_exist()
    {
        Assert.False(ProcessTable.IsNode(0, "/c/node-1.json"));
        Assert.False(ProcessTable.IsNode(-1, "/c/node-1.json"));
        Assert.False(ProcessTable.IsNode(Environment.ProcessId, "/c/node-1.json"));
        Assert.True(ProcessTable.HasExited(0, "/c/node-1.json"));
        Assert.True(ProcessTable.HasExited(Environment.ProcessId, "/c/node-1.json"));
    }

    [Fact]
    public async Task A_node_log_is_quoted_from_its_latest_run_only()
    {
        var log = directory.Combine("node-3.log");
        var marker = $"{NodeProcesses.StartMarker}at 2026-01-01T00:00:00Z: stand-in --config node-3.json ---";
        await File.WriteAllLinesAsync(log, [marker, "stand-in node 3 serving", "stand-in node 3 stopped", marker]);
        Assert.Equal("", Colony.Cli.Commands.CommandSupport.LastLogLine(log));

        await File.AppendAllLinesAsync(log, ["Unhandled exception. System.Net.Sockets.SocketException (98): Address already in use", "   at Program.Main()", "--- End of stack trace from previous location ---", ""]);
        Assert.Equal("Unhandled exception. System.Net.Sockets.SocketException (98): Address already in use", Colony.Cli.Commands.CommandSupport.LastLogLine(log));

        // A log that has outgrown the window: its latest lines still count, and a cut line does not.
        await File.WriteAllTextAsync(log, new string('x', 5000) + "\nlast words\n");
        Assert.Equal("last words", Colony.Cli.Commands.CommandSupport.LastLogLine(log));
        Assert.Equal("", Colony.Cli.Commands.CommandSupport.LastLogLine(directory.Combine("missing.log")));
    }

    [Fact]
    public async Task A_node_being_launched_is_never_taken_for_one_that_exited()
    {
        // The launcher's child execs setsid, which execs the node: in each exec there is a moment when the
        // process has no command line. A shell that stops itself stands in for the node.
        var config = directory.Combine("node-1.json");
        var log = directory.Combine("node-1.log");
        var processes = new NodeProcesses(new NodeCommandLine("/bin/sh", ["-c", "kill -STOP $$"]), TimeProvider.System);
        for (var launch = 0; launch < 10; launch++)
        {
            var pid = await processes.StartAsync(config, log, directory.Path, CancellationToken.None);
            try
            {
                if (launch % 2 == 1)
                {
                    // Watched from the first moment, as the CLI watches a node for an early exit.
                    var watching = Stopwatch.StartNew();
                    while (watching.ElapsedMilliseconds < 100)
                    {
                        Assert.False(ProcessTable.HasExited(pid, config), $"launch {launch}: pid {pid} looked exited");
                    }
                }

                // Killed at once, as a failed up kills what it started: never left running.
                string before = Describe(pid);
                var outcome = await processes.KillAsync(pid, config, CancellationToken.None);
                Assert.True(outcome == StopOutcome.Killed, $"launch {launch}: {outcome}; before the kill: {before}; after: {Describe(pid)}");
                Assert.True(ProcessTable.HasExited(pid, config));
            }
            finally
            {
                await processes.KillAsync(pid, config, CancellationToken.None);
            }
        }
    }

    /// <summary>What /proc shows of a process, for a failure message.</summary>
    private static string Describe(int pid)
    {
        try
        {
            return $"stat [{File.ReadAllText($"/proc/{pid}/stat").Trim()}], cmdline [{File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ')}]";
        }
        catch (IOException e)
        {
            return $"unreadable ({e.Message})";
        }
    }
}
