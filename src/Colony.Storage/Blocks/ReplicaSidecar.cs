using Colony.Core;

namespace Colony.Storage.Blocks;

/// <summary>What a replica's checksum sidecar says about its data file, decided from bytes and lengths alone.</summary>
public static class ReplicaSidecar
{
    /// <summary>
    /// Checks a sidecar whose first bytes are <paramref name="header"/> and whose length is <paramref name="metaLength"/>
    /// against a data file of <paramref name="dataLength"/> bytes. A finalized replica needs a valid header naming
    /// <paramref name="version"/> and exactly one checksum per chunk; a partial one is usable up to its longest
    /// whole-chunk prefix that has checksums. Never throws for bad input: the problem is returned.
    /// </summary>
    public static (int ChunkSize, long Length, string? Problem) Inspect(
        ReadOnlySpan<byte> header, long metaLength, long dataLength, BlockVersion version, bool partial)
    {
        if (header.Length < BlockMetaHeader.Size || metaLength < BlockMetaHeader.Size)
        {
            return (ChunkChecksums.MinChunkSize, dataLength, "checksum file header truncated");
        }
        BlockMetaHeader meta;
        try
        {
            meta = BlockMetaHeader.Read(header);
        }
        catch (InvalidDataException e)
        {
            return (ChunkChecksums.MinChunkSize, 0, e.Message);
        }
        if (meta.Version != version)
        {
            return (meta.ChunkSize, dataLength, $"checksum file is for {meta.Version}");
        }
        if (partial)
        {
            long chunksWithChecksums = (metaLength - BlockMetaHeader.Size) / sizeof(uint);
            long usable = Math.Min(dataLength / meta.ChunkSize, chunksWithChecksums) * meta.ChunkSize;
            return (meta.ChunkSize, usable, null);
        }
        if (metaLength != meta.MetaLength(dataLength))
        {
            return (meta.ChunkSize, dataLength, $"{dataLength} data bytes need a checksum file of {meta.MetaLength(dataLength)} bytes, not {metaLength}");
        }
        return (meta.ChunkSize, dataLength, null);
    }
}
