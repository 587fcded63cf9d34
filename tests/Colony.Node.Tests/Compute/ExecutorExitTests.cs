using Colony.Node.Compute;

namespace Colony.Node.Tests.Compute;

/// <summary>What a task's failure says when its executor process ends.</summary>
public sealed class ExecutorExitTests
{
    [Fact]
    public void A_runtime_abort_for_memory_is_named_with_the_limit()
    {
        string reason = ExecutorProcess.ExitReason(134, "Out of memory.", 192L * 1024 * 1024);

        Assert.Equal("the executor ran out of memory (its limit is 201326592 bytes); the runtime stopped it (exited with code 134: Out of memory.)", reason);
    }

    [Fact]
    public void Any_other_exit_gives_its_code_and_last_error_lines()
    {
        Assert.Equal("the executor exited with code 1: boom | bang", ExecutorProcess.ExitReason(1, "boom | bang", 0));
        Assert.Equal("the executor exited with code 137", ExecutorProcess.ExitReason(137, "", 1024));
    }
}
