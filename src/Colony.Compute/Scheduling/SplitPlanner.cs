using Colony.Compute.Jobs;
using Colony.Core;

namespace Colony.Compute.Scheduling;

/// <summary>One block of an input file and the nodes holding a replica of it.</summary>
public sealed record InputBlock(long Offset, long Length, IReadOnlyList<NodeId> Hosts);

/// <summary>An input file as the file system describes it.</summary>
public sealed record InputFile(string Path, long Length, IReadOnlyList<InputBlock> Blocks);

/// <summary>
/// Cuts a job's input into map tasks: one split per non-empty block, files in ordinal path order, blocks
/// in offset order. A block is the unit of replication, so each split has hosts a map can run next to.
/// Records crossing a block boundary are the record reader's business (it reads past the split's end).
/// </summary>
public static class SplitPlanner
{
    public static IReadOnlyList<InputSplit> Plan(IEnumerable<InputFile> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        return
        [
            .. files.OrderBy(f => f.Path, StringComparer.Ordinal)
                .SelectMany(f => f.Blocks.Where(b => b.Length > 0).OrderBy(b => b.Offset)
                    .Select(b => new InputSplit(f.Path, b.Offset, b.Length, [.. b.Hosts.Distinct()]))),
        ];
    }
}
