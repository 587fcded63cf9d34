using System.CommandLine;
using System.CommandLine.Parsing;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Colony.Client;
using Colony.Client.Recipes;

namespace Colony.Cli.Commands;

/// <summary>
/// <c>colony lock PATH -- COMMAND…</c> and <c>colony elect PATH -- COMMAND…</c>: run a command
/// while holding a distributed lock or the leadership of an election, like flock(1) across
/// machines. The command learns its fencing token from <c>COLONY_FENCING_TOKEN</c>, is sent
/// SIGTERM if the hold is lost while it runs, and is killed if colony dies.
/// </summary>
internal static class RecipeCommands
{
    /// <summary>The lock was not acquired within --timeout: sysexits.h's EX_TEMPFAIL, "try again later".</summary>
    public const int TimedOut = 75;

    /// <summary>The hold was lost (the session ended) while the command ran.</summary>
    public const int Lost = 76;

    /// <summary>The command exists but cannot be executed, as shells report it.</summary>
    public const int NotExecutable = 126;

    /// <summary>The command was not found, as shells report it.</summary>
    public const int NotFound = 127;

    /// <summary>The environment variable that carries the fencing token to the command.</summary>
    public const string FencingTokenVariable = "COLONY_FENCING_TOKEN";

    /// <summary>How long a command sent SIGTERM may take to exit before it is sent SIGKILL.</summary>
    public static readonly TimeSpan GracePeriod = TimeSpan.FromSeconds(10);

    private const int SigTerm = CommandStopper.SigTerm;

    public static Command CreateLock(CliContext cli)
    {
        var path = PathArgument("The lock's znode, e.g. /locks/backup");
        var shared = new Option<bool>("--shared") { Description = "Take the shared (read) lock: shared holders run together, exclusive ones alone" };
        var timeout = new Option<double?>("--timeout")
        {
            Description = $"Give up (exit {TimedOut}) if the lock is not acquired within S seconds; 0 tries once, without waiting, like flock -n [default: wait forever]",
            HelpName = "S",
            CustomParser = result => Seconds(result, "--timeout", allowZero: true),
        };
        var session = SessionTimeoutOption();
        var verbose = VerboseOption();
        var argv = CommandArgument();
        var command = new Command("lock", $"Run a command while holding a distributed lock (exit codes: the command's; {TimedOut} timed out, {Lost} lock lost, {NotFound} command not found)")
        {
            path, shared, timeout, session, verbose, argv,
        };
        RequireCommand(command, argv);
        command.SetAction(async (parse, ct) =>
        {
            string target = parse.GetValue(path)!;
            bool isShared = parse.GetValue(shared);
            double? seconds = parse.GetValue(timeout);
            await using ZooKeeperClient client = await ConnectAsync(cli, parse, session, ct).ConfigureAwait(false);
            LockHandle hold;
            try
            {
                TimeSpan? wait = seconds is { } s ? TimeSpan.FromSeconds(s) : null;
                // kazoo's WriteLock layout: its nodes are those of a plain Lock, so a writer excludes
                // plain-lock holders as well as shared holders, and both exclude it.
                var readWrite = new ReadWriteLock(client, target, Contender());
                hold = isShared
                    ? await readWrite.AcquireReadAsync(wait, ct).ConfigureAwait(false)
                    : await readWrite.AcquireWriteAsync(wait, ct).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                string kind = isShared ? "shared lock" : "lock";
                cli.Environment.Error.WriteLine(seconds == 0
                    ? $"colony: the {kind} on {target} is not free, and --timeout 0 does not wait"
                    : $"colony: timed out after {Format(seconds!.Value)}s waiting for the {kind} on {target}");
                return TimedOut;
            }
            catch (ZooKeeperException e)
            {
                throw new CliError($"could not lock {target}: {ZkCommands.Describe(e)}");
            }

            await using (hold.ConfigureAwait(false))
            {
                Verbose(cli, parse, verbose, $"locked {target} ({hold.NodePath}), fencing token {hold.FencingToken}");
                return await RunHeldAsync(cli, parse.GetValue(argv)!, hold.FencingToken, hold.LostToken, $"lock lost: the session holding {target} ended").ConfigureAwait(false);
            }
        });
        return command;
    }

    public static Command CreateElect(CliContext cli)
    {
        var path = PathArgument("The election's znode, e.g. /elections/scheduler");
        var name = new Option<string>("--name")
        {
            Description = "This contender's identifier, as observers see it [default: hostname:pid]",
            HelpName = "N",
        };
        var session = SessionTimeoutOption();
        var verbose = VerboseOption();
        var argv = CommandArgument();
        var command = new Command("elect", $"Campaign for leadership and run a command while leader (exit codes: the command's; {Lost} leadership lost, {NotFound} command not found)")
        {
            path, name, session, verbose, argv,
        };
        RequireCommand(command, argv);
        command.SetAction(async (parse, ct) =>
        {
            string target = parse.GetValue(path)!;
            string identifier = parse.GetValue(name) is { Length: > 0 } given ? given : Contender();
            await using ZooKeeperClient client = await ConnectAsync(cli, parse, session, ct).ConfigureAwait(false);
            Leadership leadership;
            try
            {
                Verbose(cli, parse, verbose, $"campaigning in {target} as {identifier}");
                leadership = await new LeaderElection(client, target, identifier).CampaignAsync(ct).ConfigureAwait(false);
            }
            catch (ZooKeeperException e)
            {
                throw new CliError($"could not campaign in {target}: {ZkCommands.Describe(e)}");
            }

            await using (leadership.ConfigureAwait(false))
            {
                Verbose(cli, parse, verbose, $"elected in {target} ({leadership.NodePath}), fencing token {leadership.FencingToken}");
                return await RunHeldAsync(cli, parse.GetValue(argv)!, leadership.FencingToken, leadership.LostToken, $"leadership lost: the session leading {target} ended").ConfigureAwait(false);
            }
        });
        return command;
    }

    /// <summary>
    /// Runs the command while the hold lasts and returns the exit code to use. The hold is released
    /// by the caller afterwards, whatever happened. Signals to this process are forwarded to the
    /// command as SIGTERM; a lost hold sends it SIGTERM too, and either way the processes it started
    /// get it as well (<see cref="CommandStopper"/>); if this process dies, the kernel kills the
    /// command (<see cref="HeldCommand"/>).
    /// </summary>
    private static async Task<int> RunHeldAsync(CliContext cli, string[] argv, long fencingToken, CancellationToken lostToken, string lostMessage)
    {
        switch (HeldCommand.Resolve(argv[0]))
        {
            case HeldCommand.Resolution.NotFound:
                cli.Environment.Error.WriteLine($"colony: {argv[0]}: command not found");
                return NotFound;
            case HeldCommand.Resolution.NotExecutable:
                cli.Environment.Error.WriteLine($"colony: {argv[0]}: cannot run it: permission denied");
                return NotExecutable;
        }

        if (!HeldCommand.Guarded)
        {
            cli.Environment.Error.WriteLine($"colony: warning: setpriv(1) was not found, so {argv[0]} would outlive colony if colony were killed");
        }
        HeldCommand.Running running;
        try
        {
            running = HeldCommand.Start(argv, new Dictionary<string, string> { [FencingTokenVariable] = fencingToken.ToString(CultureInfo.InvariantCulture) });
        }
        catch (Win32Exception e)
        {
            cli.Environment.Error.WriteLine($"colony: {argv[0]}: cannot run it: {new Win32Exception(e.NativeErrorCode).Message}");
            return e.NativeErrorCode == 2 ? NotFound : NotExecutable;
        }

        using (running)
        {
            return await WatchHeldAsync(cli, argv, running.Process, lostToken, lostMessage).ConfigureAwait(false);
        }
    }

    /// <summary>Waits for the running command, forwarding signals to it and stopping it if the hold is lost.</summary>
    private static async Task<int> WatchHeldAsync(CliContext cli, string[] argv, Process child, CancellationToken lostToken, string lostMessage)
    {
        // Named by id and start time at once, before its id could be reused by another process.
        var stopper = new CommandStopper(ProcessTree.Find(child.Id), GracePeriod);
        int signalled = 0;
        void Forward(PosixSignalContext context)
        {
            // The CLI's own handler cancels the command; here the child is asked to stop, and
            // this process exits once it has, so the hold is released cleanly.
            if (Interlocked.CompareExchange(ref signalled, (int)context.Signal, 0) == 0)
            {
                context.Cancel = true;
                stopper.Stop();
            }
        }

        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Forward);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Forward);
        using var lost = lostToken.Register(stopper.Stop);

        await child.WaitForExitAsync().ConfigureAwait(false);
        // What it started must be gone too before the hold is released.
        await stopper.FinishAsync().ConfigureAwait(false);
        if (lostToken.IsCancellationRequested)
        {
            cli.Environment.Error.WriteLine($"colony: {lostMessage} while {argv[0]} ran; it was sent SIGTERM, with what it started (exit {Lost})");
            return Lost;
        }
        return signalled switch
        {
            0 => child.ExitCode,
            // PosixSignal values are negative placeholders; map them to the conventional 128 + signo.
            (int)PosixSignal.SIGINT => 128 + 2,
            _ => 128 + SigTerm,
        };
    }

    private static async Task<ZooKeeperClient> ConnectAsync(CliContext cli, ParseResult parse, Option<double> session, CancellationToken ct) =>
        await ZkCommands.ConnectAsync(cli, parse, new ZooKeeperClientOptions
        {
            SessionTimeout = TimeSpan.FromSeconds(parse.GetValue(session)),
            ConnectTimeout = TimeSpan.FromSeconds(10),
        }, ct).ConfigureAwait(false);

    private static void Verbose(CliContext cli, ParseResult parse, Option<bool> verbose, string message)
    {
        if (parse.GetValue(verbose))
        {
            cli.Environment.Error.WriteLine($"colony: {message}");
        }
    }

    /// <summary>The default identifier: where the contender runs, so observers can find it.</summary>
    private static string Contender() => $"{Environment.MachineName}:{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}";

    private static Argument<string> PathArgument(string description) => new("PATH") { Description = description };

    private static Argument<string[]> CommandArgument() => new("COMMAND")
    {
        Description = "The command and its arguments, after --; run directly, not through a shell",
        Arity = ArgumentArity.OneOrMore,
    };

    /// <summary>Says what is missing in words a user can act on, instead of the parser's "required argument missing".</summary>
    private static void RequireCommand(Command command, Argument<string[]> argv)
    {
        argv.Arity = ArgumentArity.ZeroOrMore;
        command.Validators.Add(result =>
        {
            if (result.GetValue(argv) is not { Length: > 0 })
            {
                result.AddError($"name the COMMAND to run after --, e.g. colony {command.Name} PATH -- ./job.sh");
            }
        });
    }

    private static Option<double> SessionTimeoutOption() => new("--session-timeout")
    {
        Description = "The session timeout asked of the cluster: how soon a dead holder's hold is freed, and how long a partitioned holder keeps it",
        HelpName = "S",
        DefaultValueFactory = _ => 10,
        CustomParser = result => Seconds(result, "--session-timeout", allowZero: false) ?? 10,
    };

    private static Option<bool> VerboseOption() => new("--verbose") { Description = "Report acquisition and the fencing token on stderr" };

    private static double? Seconds(ArgumentResult result, string option, bool allowZero)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds)
            && (seconds > 0 || (allowZero && seconds == 0)) && seconds < int.MaxValue / 1000.0)
        {
            return seconds;
        }
        result.AddError(allowZero ? $"{option} takes a number of seconds, 0 or more" : $"{option} takes a positive number of seconds");
        return null;
    }

    private static string Format(double seconds) => seconds.ToString("0.###", CultureInfo.InvariantCulture);
}
