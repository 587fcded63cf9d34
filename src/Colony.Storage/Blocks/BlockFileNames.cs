using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Colony.Core;

namespace Colony.Storage.Blocks;

/// <summary>
/// Names of replica files: data <c>blk_ID_STAMP</c>, checksums <c>blk_ID_STAMP.meta</c>. Finalized replicas
/// are spread over 256 × 256 subdirectories picked from the block id, so no directory grows huge.
/// </summary>
public static class BlockFileNames
{
    public const string MetaSuffix = ".meta";

    public static string DataName(BlockVersion version) =>
        string.Create(CultureInfo.InvariantCulture, $"blk_{version.Id.Value}_{version.Stamp.Value}");

    public static string MetaName(BlockVersion version) => DataName(version) + MetaSuffix;

    /// <summary>The two-level subdirectory of a finalized replica, e.g. <c>subdir1a/subdir07</c>.</summary>
    public static (string Outer, string Inner) FinalizedSubdirectory(BlockId id) =>
        (string.Create(CultureInfo.InvariantCulture, $"subdir{(id.Value >> 16) & 0xFF:x2}"),
         string.Create(CultureInfo.InvariantCulture, $"subdir{(id.Value >> 8) & 0xFF:x2}"));

    /// <summary>Parses a data file name <c>blk_ID_STAMP</c> (not a meta name).</summary>
    public static bool TryParseDataName(string name, [NotNullWhen(true)] out BlockVersion? version)
    {
        version = null;
        if (!name.StartsWith("blk_", StringComparison.Ordinal))
        {
            return false;
        }
        ReadOnlySpan<char> rest = name.AsSpan(4);
        int separator = rest.IndexOf('_');
        if (separator <= 0
            || !ulong.TryParse(rest[..separator], NumberStyles.None, CultureInfo.InvariantCulture, out ulong id)
            || !ulong.TryParse(rest[(separator + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out ulong stamp)
            || id == 0)
        {
            return false;
        }
        version = new BlockVersion(new BlockId(id), new GenerationStamp(stamp));
        return true;
    }
}
