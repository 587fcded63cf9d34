using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.Runtime.InteropServices;
using Colony.Cli.Commands;

namespace Colony.Cli;

/// <summary>
/// The <c>colony</c> command line. Every failure, a wrong command line included, ends as one line
/// on stderr, <c>colony: message</c>, and a non-zero exit code: 2 for usage errors, 1 for failed
/// commands, 130 when interrupted.
/// </summary>
internal static class CliApplication
{
    public const int Interrupted = 130;

    /// <summary>The process entry: SIGINT and SIGTERM cancel the running command (a second one ends the process).</summary>
    public static async Task<int> MainAsync(string[] args)
    {
        using var cancel = new CancellationTokenSource();
        void OnSignal(PosixSignalContext context)
        {
            if (!cancel.IsCancellationRequested)
            {
                context.Cancel = true;
                cancel.Cancel();
            }
        }

        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        return await RunAsync(args, CliEnvironment.FromProcess(), cancel.Token).ConfigureAwait(false);
    }

    public static async Task<int> RunAsync(IReadOnlyList<string> args, CliEnvironment environment, CancellationToken cancellationToken = default)
    {
        var invocation = new InvocationConfiguration
        {
            Output = environment.Out,
            Error = environment.Error,
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = null,
        };
        try
        {
            var parse = CreateRootCommand(new CliContext(environment)).Parse(args);
            if (parse.Errors.Count > 0 && parse.Action is not HelpAction)
            {
                return Fail(environment, UsageError(parse), CliError.Usage);
            }

            return await parse.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
        }
        catch (CliError e)
        {
            return Fail(environment, e.Message, e.ExitCode);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Fail(environment, "interrupted", Interrupted);
        }
        catch (Exception e)
        {
            return Fail(environment, NodeClient.OneLine(e.Message), CliError.Failure);
        }
    }

    /// <summary>The whole command tree, named <c>colony</c> however the process was started.</summary>
    internal static Command CreateRootCommand(CliContext cli)
    {
        var root = new Command("colony", "Colony: start and manage a local cluster, or run one node.")
        {
            UpCommand.Create(cli),
            DownCommand.Create(cli),
            StatusCommand.Create(cli),
            NodeCommands.Create(cli),
            ClusterCommands.Create(cli),
            DemoCommand.Create(cli),
            ZkCommands.Create(cli),
            FsCommands.Create(cli),
            JobCommands.Create(cli),
            TokenCommands.Create(cli),
            RecipeCommands.CreateLock(cli), RecipeCommands.CreateElect(cli),
        };
        root.Options.Add(new HelpOption());
        root.Options.Add(new VersionOption());
        root.Options.Add(cli.Data);
        root.Options.Add(cli.Cluster);
        return root;
    }

    /// <summary>One line for a command line that does not parse: an unknown word first, as it is the likely cause.</summary>
    private static string UsageError(ParseResult parse)
    {
        var error = parse.Errors.FirstOrDefault(e => parse.UnmatchedTokens.Any(t => e.Message.Contains($"'{t}'", StringComparison.Ordinal)))
            ?? parse.Errors[0];
        var message = NodeClient.OneLine(error.Message).TrimEnd('.');
        if (message.Length > 0)
        {
            message = char.ToLowerInvariant(message[0]) + message[1..];
        }

        var command = new List<string>();
        for (var result = parse.CommandResult; result is not null; result = result.Parent as CommandResult)
        {
            command.Insert(0, result.Command.Name);
        }

        return $"{message} (see {string.Join(' ', command)} --help)";
    }

    private static int Fail(CliEnvironment environment, string message, int exitCode)
    {
        environment.Error.WriteLine($"colony: {message}");
        return exitCode;
    }
}
