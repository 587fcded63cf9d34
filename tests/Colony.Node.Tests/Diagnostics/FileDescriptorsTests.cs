using Colony.Node.Diagnostics;

namespace Colony.Node.Tests.Diagnostics;

/// <summary>mntr's descriptor limit, read from /proc's limits table.</summary>
public sealed class FileDescriptorsTests
{
    [Fact]
    public void The_soft_limit_is_the_first_number_on_its_line()
    {
        string[] limits =
        [
            "Limit                     Soft Limit           Hard Limit           Units     ",
            "Max processes             95432                95432                processes ",
            "Max open files            1024                 524288               files     ",
        ];

        Assert.Equal(1024, FileDescriptors.ParseLimit(limits));
    }

    [Fact]
    public void An_unlimited_or_missing_limit_is_unknown()
    {
        Assert.Null(FileDescriptors.ParseLimit(["Max open files            unlimited            unlimited            files     "]));
        Assert.Null(FileDescriptors.ParseLimit(["Max processes             95432                95432                processes "]));
    }

    [Fact]
    public void This_process_has_descriptors_open_within_its_limit()
    {
        Assert.True(OperatingSystem.IsLinux(), "the node reads /proc, as on Linux");
        long open = FileDescriptors.Count()!.Value;
        long limit = FileDescriptors.Limit()!.Value;

        Assert.InRange(open, 3, limit); // at least standard input, output and error
    }
}
