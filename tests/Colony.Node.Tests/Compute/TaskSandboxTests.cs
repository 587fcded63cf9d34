using Colony.Compute.Jobs;
using Colony.Node.Compute;

namespace Colony.Node.Tests.Compute;

/// <summary>The node opens what isolated tasks wrote only where it is named: a planted link is refused.</summary>
public sealed class TaskSandboxTests : IDisposable
{
    private static readonly TaskIdentity Isolated = new(new TaskAccount("tasks", 1500, 1500), "tasks run as 'tasks'", null);

    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("colony-sandbox-");

    private string Root => Path.Combine(_scratch.FullName, "root");

    private string Outside => Path.Combine(_scratch.FullName, "secret");

    public TaskSandboxTests()
    {
        Directory.CreateDirectory(Path.Combine(Root, "job_1", "attempt_a"));
        File.WriteAllText(Path.Combine(Root, "job_1", "attempt_a", "map.out"), "output");
        File.WriteAllText(Outside, "the cluster secret");
    }

    private static string Read(FileStream file)
    {
        using (file)
        using (var reader = new StreamReader(file))
        {
            return reader.ReadToEnd();
        }
    }

    [Fact]
    public void A_file_where_it_is_named_opens()
    {
        using var sandbox = new TaskSandbox(Isolated, Root, ownsRoot: false);
        Assert.Equal("output", Read(sandbox.OpenTaskFile(Path.Combine(Root, "job_1", "attempt_a", "map.out"))));
    }

    [Fact]
    public void A_file_replaced_by_a_link_out_of_the_sandbox_is_refused()
    {
        Directory.CreateDirectory(Path.Combine(Root, "job_1", "attempt_b"));
        string planted = Path.Combine(Root, "job_1", "attempt_b", "map.out");
        File.CreateSymbolicLink(planted, Outside);
        using var sandbox = new TaskSandbox(Isolated, Root, ownsRoot: false);

        var refused = Assert.Throws<UnauthorizedAccessException>(() => sandbox.OpenTaskFile(planted));
        Assert.Contains(Outside, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_directory_replaced_by_a_link_is_refused_too()
    {
        Directory.CreateSymbolicLink(Path.Combine(Root, "job_1", "attempt_c"), _scratch.FullName);
        using var sandbox = new TaskSandbox(Isolated, Root, ownsRoot: false);

        Assert.Throws<UnauthorizedAccessException>(() => sandbox.OpenTaskFile(Path.Combine(Root, "job_1", "attempt_c", "secret")));
    }

    [Fact]
    public void A_link_within_the_same_attempt_is_refused_as_it_is_not_the_named_file()
    {
        string planted = Path.Combine(Root, "job_1", "attempt_a", "map.index");
        File.CreateSymbolicLink(planted, Path.Combine(Root, "job_1", "attempt_a", "map.out"));
        using var sandbox = new TaskSandbox(Isolated, Root, ownsRoot: false);

        Assert.Throws<UnauthorizedAccessException>(() => sandbox.OpenTaskFile(planted));
    }

    [Fact]
    public void A_root_reached_through_a_link_still_opens_its_own_files()
    {
        string alias = Path.Combine(_scratch.FullName, "alias");
        Directory.CreateSymbolicLink(alias, Root);
        using var sandbox = new TaskSandbox(Isolated, alias, ownsRoot: false);

        Assert.Equal("output", Read(sandbox.OpenTaskFile(Path.Combine(alias, "job_1", "attempt_a", "map.out"))));
    }

    [Fact]
    public void Tasks_run_as_the_node_open_links_as_before()
    {
        Directory.CreateDirectory(Path.Combine(Root, "job_1", "attempt_b"));
        string link = Path.Combine(Root, "job_1", "attempt_b", "map.out");
        File.CreateSymbolicLink(link, Outside);
        using var sandbox = new TaskSandbox(TaskIdentity.NodeUser("test"), Root, ownsRoot: false);

        Assert.Equal("the cluster secret", Read(sandbox.OpenTaskFile(link)));
    }

    [Fact]
    public void A_standby_directory_is_named_like_no_job_so_no_beat_reports_it()
    {
        using var sandbox = new TaskSandbox(TaskIdentity.NodeUser("test"), Root, ownsRoot: false);
        string standby = sandbox.PrepareStandbyDirectory();

        Assert.False(JobId.TryParse(Path.GetFileName(standby), out _));
        Assert.True(Directory.Exists(TaskSandbox.TemporaryDirectory(standby)));
        Assert.Equal(Path.Combine(Root, "job-000007"), sandbox.JobDirectory("job-000007"));
    }

    public void Dispose() => _scratch.Delete(recursive: true);
}
