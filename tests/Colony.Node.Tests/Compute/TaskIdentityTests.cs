using Colony.Node.Compute;

namespace Colony.Node.Tests.Compute;

public class TaskIdentityTests
{
    private static readonly TaskAccount Nobody = new("nobody", 65534, 65534);

    private static TaskAccount? Accounts(string name) => name switch
    {
        "nobody" => Nobody,
        "root" => new TaskAccount("root", 0, 0),
        "tasks" => new TaskAccount("tasks", 1500, 1600),
        _ => null,
    };

    private static TaskIdentity Decide(bool root, string? user = "nobody", bool require = false, string? executorBlocked = null) =>
        TaskIdentity.Decide(root, root ? 0u : 1000u, new ComputeOptions { TaskUser = user, RequireTaskIsolation = require }, Accounts, () => executorBlocked);

    [Fact]
    public void The_default_task_user_is_nobody_and_isolation_is_not_required()
    {
        var options = new ComputeOptions();
        Assert.Equal("nobody", options.TaskUser);
        Assert.False(options.RequireTaskIsolation);
        Assert.Null(options.TaskDirectory);
    }

    [Fact]
    public void A_root_node_runs_tasks_as_the_task_user_with_its_own_uid_and_gid()
    {
        var identity = Decide(root: true, user: "tasks");

        Assert.True(identity.Isolated);
        Assert.Equal(new TaskAccount("tasks", 1500, 1600), identity.Account);
        Assert.Null(identity.Warning);
        Assert.Contains("uid 1500", identity.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Surrounding_spaces_in_the_name_are_ignored()
    {
        Assert.Equal(Nobody, Decide(root: true, user: "  nobody ").Account);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void An_empty_task_user_runs_tasks_as_the_node_without_a_warning(string? user)
    {
        foreach (bool root in (bool[])[true, false])
        {
            var identity = Decide(root, user);
            Assert.False(identity.Isolated);
            Assert.Null(identity.Warning);
        }
    }

    [Fact]
    public void A_node_that_is_not_root_runs_tasks_as_itself_and_warns()
    {
        var identity = Decide(root: false);

        Assert.False(identity.Isolated);
        Assert.NotNull(identity.Warning);
        Assert.Contains("uid 1000, not root", identity.Warning, StringComparison.Ordinal);
        Assert.Contains("'nobody'", identity.Warning, StringComparison.Ordinal);
    }

    [Fact]
    public void Required_isolation_refuses_a_node_that_is_not_root()
    {
        var refused = Assert.Throws<InvalidOperationException>(() => Decide(root: false, require: true));
        Assert.Contains("RequireTaskIsolation", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Required_isolation_refuses_an_empty_task_user()
    {
        Assert.Throws<InvalidOperationException>(() => Decide(root: true, user: "", require: true));
    }

    [Fact]
    public void Required_isolation_on_a_root_node_isolates()
    {
        Assert.Equal(Nobody, Decide(root: true, require: true).Account);
    }

    [Fact]
    public void An_unknown_task_user_stops_a_root_node_from_starting()
    {
        var refused = Assert.Throws<InvalidOperationException>(() => Decide(root: true, user: "ghost"));
        Assert.Contains("'ghost' is not a user", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_task_user_is_not_looked_up_by_a_node_that_cannot_switch_anyway()
    {
        var identity = Decide(root: false, user: "ghost");
        Assert.False(identity.Isolated);
        Assert.NotNull(identity.Warning);
    }

    [Fact]
    public void A_root_node_whose_executor_the_task_user_cannot_reach_runs_tasks_as_itself_and_warns()
    {
        var identity = Decide(root: true, executorBlocked: "/root is not searchable by others");

        Assert.False(identity.Isolated);
        Assert.Contains("'nobody' could not start the executor: /root is not searchable by others", identity.Warning, StringComparison.Ordinal);
    }

    [Fact]
    public void Required_isolation_refuses_an_executor_the_task_user_cannot_reach()
    {
        Assert.Throws<InvalidOperationException>(() => Decide(root: true, require: true, executorBlocked: "/root is not searchable by others"));
    }

    [Fact]
    public void Root_as_the_task_user_isolates_nothing_and_is_refused()
    {
        Assert.Throws<InvalidOperationException>(() => Decide(root: true, user: "root"));
    }
}
