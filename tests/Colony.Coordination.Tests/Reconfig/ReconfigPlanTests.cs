using Colony.Coordination.Reconfig;

namespace Colony.Coordination.Tests.Reconfig;

public sealed class ReconfigPlanTests
{
    private static readonly ServerSpec[] ThreeVoters =
    [
        new(1, "127.0.0.1", 101, 201, ServerRole.Participant),
        new(2, "127.0.0.1", 102, 202, ServerRole.Participant),
        new(3, "127.0.0.1", 103, 203, ServerRole.Participant),
    ];

    private static ReconfigPlan Plan(string? joining, string? leaving, string? members = null, IReadOnlyList<ServerSpec>? current = null)
    {
        Assert.True(ReconfigPlan.TryCreate(current ?? ThreeVoters, joining, leaving, members, out var plan, out string error), error);
        return plan;
    }

    private static string Steps(ReconfigPlan plan) => string.Join(' ', plan.Steps.Select(s => $"{s.Kind}:{s.Server.Id}"));

    [Fact]
    public void Joining_an_observer_is_one_learner_addition()
    {
        var plan = Plan("server.4=127.0.0.1:104:204:observer;127.0.0.1:304", null);
        Assert.Equal("AddObserver:4", Steps(plan));
        Assert.Equal([1UL, 2, 3, 4], plan.Target.Select(s => s.Id));
        Assert.Equal("127.0.0.1:304", plan.Steps[0].Server.ClientAddress);
    }

    [Fact]
    public void Joining_a_participant_adds_it_as_an_observer_first_then_promotes_it()
    {
        Assert.Equal("AddObserver:4 Promote:4", Steps(Plan("server.4=127.0.0.1:104:204", null)));
    }

    [Fact]
    public void Leaving_removes_and_an_unknown_leaver_is_ignored()
    {
        Assert.Equal("Remove:3", Steps(Plan(null, "3, 9")));
    }

    [Fact]
    public void Joins_and_promotions_come_before_removals()
    {
        var current = ThreeVoters.Append(new ServerSpec(4, "127.0.0.1", 104, 204, ServerRole.Observer)).ToArray();
        var plan = Plan("server.4=127.0.0.1:104:204:participant,server.5=127.0.0.1:105:205:observer", "1", current: current);
        Assert.Equal("Promote:4 AddObserver:5 Remove:1", Steps(plan));
    }

    [Fact]
    public void A_new_membership_is_reached_by_single_changes()
    {
        var plan = Plan(null, null, "server.1=127.0.0.1:101:201,server.2=127.0.0.1:102:202:observer,server.4=127.0.0.1:104:204:observer");
        Assert.Equal("AddObserver:4 Remove:2 AddObserver:2 Remove:3", Steps(plan));
        Assert.Equal([1UL, 2, 4], plan.Target.Select(s => s.Id));
    }

    [Fact]
    public void Restating_the_current_membership_changes_nothing()
    {
        Assert.Empty(Plan("server.2=127.0.0.1:102:202:participant", null).Steps);
    }

    [Fact]
    public void Host_names_to_look_up_are_listed_once_from_joining_servers_and_new_members()
    {
        Assert.Equal(["localhost", "zk5.example"],
            ReconfigPlan.HostNames("server.4=localhost:104:204,server.5=zk5.example:105:205;LocalHost:305,server.6=127.0.0.1:106:206", null));
        Assert.Equal(["zk1.example"], ReconfigPlan.HostNames(null, "server.1=zk1.example:101:201,server.2=not a spec"));
        Assert.Empty(ReconfigPlan.HostNames("server.4=127.0.0.1:104:204", null));
    }

    [Fact]
    public void A_joining_server_named_by_host_name_is_added_at_its_address()
    {
        var addresses = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["localhost"] = "127.0.0.1" };
        Assert.True(ReconfigPlan.TryCreate(ThreeVoters, "server.4=localhost:104:204:observer;localhost:304", null, null, addresses, out var plan, out string error), error);
        Assert.Equal("AddObserver:4", Steps(plan));
        Assert.Equal("127.0.0.1:104", plan.Steps[0].Server.PeerAddress);
        Assert.Equal("127.0.0.1:304", plan.Steps[0].Server.ClientAddress);
    }

    [Fact]
    public void A_member_restated_by_host_name_is_the_same_member()
    {
        var addresses = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["localhost"] = "127.0.0.1" };
        Assert.True(ReconfigPlan.TryCreate(ThreeVoters, null, null, "server.1=localhost:101:201,server.2=localhost:102:202,server.3=localhost:103:203",
            addresses, out var plan, out string error), error);
        Assert.Empty(plan.Steps);
    }

    [Fact]
    public void A_host_name_that_does_not_resolve_is_refused()
    {
        Assert.False(ReconfigPlan.TryCreate(ThreeVoters, "server.4=nowhere.invalid:104:204", null, null, new Dictionary<string, string>(), out _, out string error));
        Assert.Contains("nowhere.invalid", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("server.4=127.0.0.1:104", null, null)]
    [InlineData("server.4=127.0.0.1:104:204:referee", null, null)]
    [InlineData(null, "two", null)]
    [InlineData(null, "0", null)]
    [InlineData("server.4=127.0.0.1:104:204", "4", null)]
    [InlineData("server.4=127.0.0.1:104:204,server.4=127.0.0.1:105:205", null, null)]
    [InlineData("server.4=127.0.0.1:104:204", null, "server.1=127.0.0.1:101:201")]
    [InlineData(null, "1,2,3", null)]
    [InlineData(null, null, "server.1=127.0.0.1:101:201:observer")]
    [InlineData("server.2=127.0.0.1:999:202", null, null)]
    public void Malformed_or_impossible_requests_are_refused(string? joining, string? leaving, string? members) =>
        Assert.False(ReconfigPlan.TryCreate(ThreeVoters, joining, leaving, members, out _, out _));
}
