using System.Diagnostics;
using Xunit.Abstractions;

namespace Colony.IntegrationTests.Recipes;

/// <summary>
/// `colony lock` as a real process against a real three-node cluster: exit codes, the fencing token,
/// signals, a holder killed with SIGKILL, and a holder whose session expires while its command runs.
/// </summary>
[Collection(RecipeCollection.Name)]
public class LockCommandTests(RecipeCluster fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    /// <summary>A fenced write, as a protected resource would do it: refuse a token below the highest seen.</summary>
    private const string Fence =
        """fenced() { max=$(cat fence 2>/dev/null || echo 0); if [ "$COLONY_FENCING_TOKEN" -ge "$max" ]; then echo "$COLONY_FENCING_TOKEN" > fence; echo "accepted $1 $COLONY_FENCING_TOKEN" >> log; else echo "rejected $1 $COLONY_FENCING_TOKEN" >> log; fi; }; """;

    [Fact]
    public async Task The_exit_code_is_the_commands_and_the_fencing_token_is_in_its_environment()
    {
        using var work = new Workspace();
        await using var run = Lock(work, "/cli/code", "--verbose", "--", "sh", "-c", "echo \"$COLONY_FENCING_TOKEN\"; exit 7");

        Assert.Equal(7, await run.ExitCodeAsync(Generous));
        long token = long.Parse(run.Output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(token > 0, run.ToString());
        Assert.Contains($"fencing token {token}", run.Error, StringComparison.Ordinal);
        await AssertFreeAsync("/cli/code");
    }

    [Fact]
    public async Task A_lock_not_acquired_within_the_timeout_or_at_once_with_timeout_0_exits_75_and_leaves_no_node()
    {
        using var work = new Workspace();
        await using var holder = Lock(work, "/cli/timeout", "--", "sh", "-c", "touch held; while [ ! -e done ]; do sleep 0.05; done");
        await Workspace.WaitUntilAsync(() => File.Exists(work.PathOf("held")), Generous, "the holder to run");

        await using var waiter = Lock(work, "/cli/timeout", "--timeout", "1", "--", "touch", "waiter-ran");
        Assert.Equal(75, await waiter.ExitCodeAsync(Generous));
        Assert.Equal("colony: timed out after 1s waiting for the lock on /cli/timeout", waiter.Error.Trim());
        Assert.False(File.Exists(work.PathOf("waiter-ran")));

        // --timeout 0 tries once, like flock -n.
        await using var trier = Lock(work, "/cli/timeout", "--timeout", "0", "--", "touch", "trier-ran");
        Assert.Equal(75, await trier.ExitCodeAsync(Generous));
        Assert.Equal("colony: the lock on /cli/timeout is not free, and --timeout 0 does not wait", trier.Error.Trim());
        Assert.False(File.Exists(work.PathOf("trier-ran")));

        work.Touch("done");
        Assert.Equal(0, await holder.ExitCodeAsync(Generous));
        await AssertFreeAsync("/cli/timeout");
        await using var freeTrier = Lock(work, "/cli/timeout", "--timeout", "0", "--", "touch", "trier-ran");
        Assert.Equal(0, await freeTrier.ExitCodeAsync(Generous));
        Assert.True(File.Exists(work.PathOf("trier-ran")));
        await AssertFreeAsync("/cli/timeout");
    }

    [Fact]
    public async Task A_command_that_does_not_exist_exits_127_and_the_lock_is_released()
    {
        using var work = new Workspace();
        await using var run = Lock(work, "/cli/missing", "--", "no-such-command-anywhere", "x");
        Assert.Equal(127, await run.ExitCodeAsync(Generous));
        Assert.Equal("colony: no-such-command-anywhere: command not found", run.Error.Trim());

        await using var next = Lock(work, "/cli/missing", "--timeout", "10", "--", "true");
        Assert.Equal(0, await next.ExitCodeAsync(Generous));
        await AssertFreeAsync("/cli/missing");
    }

    [Fact]
    public async Task SIGTERM_to_colony_lock_is_forwarded_to_the_command_then_the_lock_is_released_and_it_exits_143()
    {
        using var work = new Workspace();
        await using var run = Lock(work, "/cli/signal", "--", "sh", "-c", "trap 'echo term > got; exit 0' TERM; touch held; while :; do sleep 0.05; done");
        await Workspace.WaitUntilAsync(() => File.Exists(work.PathOf("held")), Generous, "the command to run");

        run.Signal(ChildProcess.SigTerm);
        Assert.Equal(143, await run.ExitCodeAsync(Generous));
        Assert.Equal("term", work.Read("got").Trim());
        await AssertFreeAsync("/cli/signal");
    }

    [Fact]
    public async Task SIGTERM_to_colony_lock_stops_what_the_command_started_too_before_the_lock_is_released()
    {
        using var work = new Workspace();
        await using var run = Lock(work, "/cli/tree", "--", "sh", "-c", "sleep 600 & echo $! > grandchild.pid; wait");
        await Workspace.WaitUntilAsync(() => work.Read("grandchild.pid").EndsWith('\n'), Generous, "the command to start its child");
        var grandchild = ProcessIdentity.Of(int.Parse(work.Read("grandchild.pid").Trim(), System.Globalization.CultureInfo.InvariantCulture));

        run.Signal(ChildProcess.SigTerm);
        try
        {
            Assert.Equal(143, await run.ExitCodeAsync(Generous));
            // Signalled alone, the shell would die and leave its child running once the lock was free.
            Assert.True(grandchild.IsGone, $"the command's child {grandchild} outlived the hold");
        }
        finally
        {
            grandchild.KillIfAlive();
        }
        await AssertFreeAsync("/cli/tree");
    }

    [Fact]
    public async Task When_the_holder_is_killed_with_SIGKILL_its_command_dies_with_it_and_the_next_waiter_acquires_once_its_session_expires()
    {
        using var work = new Workspace();
        const double session = 2;
        await using var holder = Lock(work, "/cli/death", "--session-timeout", "2", "--", "sh", "-c", "echo $$ > child.pid; exec sleep 600");
        await Workspace.WaitUntilAsync(() => work.Read("child.pid").EndsWith('\n'), Generous, "the holder's command to start");
        var command = ProcessIdentity.Of(int.Parse(work.Read("child.pid").Trim(), System.Globalization.CultureInfo.InvariantCulture));
        await using var waiter = Lock(work, "/cli/death", "--timeout", "60", "--", "touch", "waiter-ran");
        await WaitForContendersAsync("/cli/death", 2);

        var sinceKill = Stopwatch.StartNew();
        holder.Signal(ChildProcess.SigKill);

        // Nobody is left to stop the command, and once the session expires another holder may start:
        // the kernel kills it along with colony, or it would run on unprotected for ten minutes.
        try
        {
            await Workspace.WaitUntilAsync(() => command.IsGone, Generous, "the killed holder's command to die with it");
        }
        finally
        {
            command.KillIfAlive(); // leave nothing behind when the test fails
        }
        Assert.Equal(0, await waiter.ExitCodeAsync(Generous));
        output.WriteLine($"the waiter acquired and ran {sinceKill.Elapsed.TotalSeconds:0.00} s after the holder was killed (session timeout {session} s)");
        Assert.True(File.Exists(work.PathOf("waiter-ran")), waiter.ToString());
        await AssertFreeAsync("/cli/death");
    }

    [Fact]
    public async Task A_holder_whose_session_expires_exits_76_after_SIGTERM_to_its_command_and_its_stale_token_is_fenced_off()
    {
        using var work = new Workspace();
        await using var stale = Lock(work, "/cli/fence", "--session-timeout", "2", "--", "sh", "-c",
            Fence + "fenced A; trap 'fenced A; echo \"term A\" >> log; exit 0' TERM; while :; do sleep 0.05; done");
        await Workspace.WaitUntilAsync(() => work.Read("log").Contains("accepted A", StringComparison.Ordinal), Generous, "holder A to write");
        await using var next = Lock(work, "/cli/fence", "--timeout", "60", "--", "sh", "-c", Fence + "fenced B");
        await WaitForContendersAsync("/cli/fence", 2);

        // Frozen longer than its session timeout, A's session expires; A's command runs on, unaware.
        stale.Signal(ChildProcess.SigStop);
        try
        {
            Assert.Equal(0, await next.ExitCodeAsync(Generous));
            Assert.Contains("accepted B", work.Read("log"), StringComparison.Ordinal);
        }
        finally
        {
            stale.Signal(ChildProcess.SigCont);
        }

        Assert.Equal(76, await stale.ExitCodeAsync(Generous));
        Assert.Contains("colony: lock lost:", stale.Error, StringComparison.Ordinal);
        string[] log = work.Lines("log");
        output.WriteLine(string.Join('\n', log));
        long tokenA = Token(log, "accepted A");
        long tokenB = Token(log, "accepted B");
        Assert.True(tokenB > tokenA, $"B's token {tokenB} is not above A's {tokenA}");
        Assert.Equal(["accepted A", "accepted B", "rejected A", "term A"], log.Select(l => string.Join(' ', l.Split(' ')[..2])));
        await AssertFreeAsync("/cli/fence");
    }

    private ChildProcess Lock(Workspace work, string path, params string[] args) =>
        ChildProcess.Colony(fixture.ConnectString, work.Directory, ["lock", path, .. args]);

    private static long Token(string[] log, string prefix) =>
        long.Parse(log.First(l => l.StartsWith(prefix, StringComparison.Ordinal)).Split(' ')[2], System.Globalization.CultureInfo.InvariantCulture);

    private async Task WaitForContendersAsync(string path, int count)
    {
        await using var client = await fixture.ConnectAsync();
        await Workspace.WaitUntilAsync(async () => (await client.GetChildrenAsync(path)).Count >= count, Generous, $"{count} contenders under {path}");
    }

    /// <summary>Nobody holds or waits for the lock any more: every contender removed its node.</summary>
    private async Task AssertFreeAsync(string path)
    {
        await using var client = await fixture.ConnectAsync();
        await Workspace.WaitUntilAsync(async () => (await client.GetChildrenAsync(path)).Count == 0, Generous, $"{path} to have no contenders");
    }
}
