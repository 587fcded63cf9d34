using Colony.FaultTests.Workloads;

namespace Colony.FaultTests;

public sealed class StorageCheckTests
{
    private static readonly byte[] Content = [1, 2, 3, 4, 5];

    [Fact]
    public void Files_read_back_as_acknowledged_are_valid()
    {
        var (verdict, lost) = StorageCheck.Check([AcknowledgedFile.Of("/a", Content)], [new("/a", [.. Content], null)]);
        Assert.True(verdict.Valid, verdict.ToString());
        Assert.Equal(0, lost);
    }

    [Fact]
    public void A_file_that_reads_back_different_bytes_unreadable_or_not_at_all_is_lost()
    {
        var (verdict, lost) = StorageCheck.Check(
            [AcknowledgedFile.Of("/a", Content), AcknowledgedFile.Of("/b", Content), AcknowledgedFile.Of("/c", Content)],
            [new("/a", [1, 2, 3, 4, 6], null), new("/b", null, "FileNotFound")]);
        Assert.False(verdict.Valid);
        Assert.Equal(3, lost);
        Assert.Contains("/a: 5 bytes that differ", verdict.Detail, StringComparison.Ordinal);
        Assert.Contains("/c: never read back", verdict.Detail, StringComparison.Ordinal);
    }
}
