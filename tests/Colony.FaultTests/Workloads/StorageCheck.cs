using System.Security.Cryptography;
using Colony.FaultTests.Campaigns;

namespace Colony.FaultTests.Workloads;

/// <summary>A file whose writer was told it was durable (the stream closed without error), with its content's hash.</summary>
public readonly record struct AcknowledgedFile(string Path, int Length, string Sha256)
{
    public static AcknowledgedFile Of(string path, byte[] content) => new(path, content.Length, Convert.ToHexString(SHA256.HashData(content)));
}

/// <summary>What reading a file back gave: its content, or the failure.</summary>
public readonly record struct FileReadBack(string Path, byte[]? Content, string? Error);

/// <summary>
/// Every acknowledged file reads back byte-identical. A read that fails or returns other bytes
/// after the heal means the cluster lost or corrupted data it had promised to keep.
/// </summary>
public static class StorageCheck
{
    public static (CheckerVerdict Verdict, int Lost) Check(IReadOnlyList<AcknowledgedFile> acknowledged, IReadOnlyList<FileReadBack> readBacks)
    {
        var byPath = readBacks.ToDictionary(r => r.Path, StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var file in acknowledged)
        {
            if (!byPath.TryGetValue(file.Path, out var read))
            {
                problems.Add($"{file.Path}: never read back");
            }
            else if (read.Content is null)
            {
                problems.Add($"{file.Path}: {read.Error}");
            }
            else if (AcknowledgedFile.Of(file.Path, read.Content) != file)
            {
                problems.Add($"{file.Path}: {read.Content.Length} bytes that differ from the {file.Length} acknowledged");
            }
        }
        long bytes = acknowledged.Sum(f => (long)f.Length);
        return (new CheckerVerdict("storage: every acknowledged file reads back byte-identical", problems.Count == 0,
            problems.Count == 0 ? $"{acknowledged.Count} files, {bytes} bytes, all identical" : string.Join("; ", problems.Take(5))), problems.Count);
    }
}
