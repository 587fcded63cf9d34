using System.Buffers;
using Colony.Core;
using Colony.Storage.Blocks;
using Microsoft.Win32.SafeHandles;

namespace Colony.Client.Blocks;

/// <summary>
/// Reads a replica straight from the files of a data node on this machine, HDFS's short-circuit read: no
/// connection, no copy through the node process. Every chunk is still verified against the replica's
/// checksum sidecar. Finalized replicas are immutable and named by their generation stamp, so the file is
/// either exactly the version asked for or absent; a replica deleted after it was opened reads on from the
/// open handle. Anything unexpected sends the caller back to the network.
/// </summary>
internal sealed class LocalReplicaReader(string node, string finalizedDirectory)
{
    /// <summary>Bytes read and verified per step: a multiple of every valid chunk size.</summary>
    private const int StepBytes = 1024 * 1024;

    private long _bytesRead;

    /// <summary>The block transfer address of the data node whose files these are.</summary>
    public string Node { get; } = node;

    /// <summary>Bytes delivered from local replicas so far.</summary>
    public long BytesRead => Interlocked.Read(ref _bytesRead);

    /// <summary>
    /// Copies [<paramref name="offset"/>, +<paramref name="length"/>) of the replica into <paramref name="destination"/>.
    /// False when this node holds no finalized replica of that version (nothing was written then). Throws
    /// <see cref="ChecksumMismatchException"/> for a bad chunk, after delivering the verified bytes before it.
    /// </summary>
    public async Task<bool> TryReadAsync(BlockVersion version, long offset, long length, Stream destination, CancellationToken cancellationToken)
    {
        var (outer, inner) = BlockFileNames.FinalizedSubdirectory(version.Id);
        string dataPath = Path.Combine(finalizedDirectory, outer, inner, BlockFileNames.DataName(version));
        ReplicaFiles? files = Open(dataPath, dataPath + BlockFileNames.MetaSuffix);
        if (files is null)
        {
            return false;
        }
        using (files)
        {
            byte[] header = new byte[BlockMetaHeader.Size];
            ReadExactly(files.Meta, header, 0);
            var meta = BlockMetaHeader.Read(header);
            if (meta.Version != version)
            {
                throw new InvalidDataException($"{dataPath} holds checksums of {meta.Version}");
            }
            long blockLength = RandomAccess.GetLength(files.Data);
            if (RandomAccess.GetLength(files.Meta) != meta.MetaLength(blockLength))
            {
                throw new InvalidDataException($"{dataPath}: the checksum sidecar does not match the data's length {blockLength}");
            }
            await CopyVerifiedAsync(files, meta.ChunkSize, version, ChunkChecksums.Covering(offset, length, blockLength, meta.ChunkSize), offset, offset + length, destination, cancellationToken).ConfigureAwait(false);
            return true;
        }
    }

    private async Task CopyVerifiedAsync(
        ReplicaFiles files, int chunkSize, BlockVersion version, ChunkRange range, long from, long to, Stream destination, CancellationToken cancellationToken)
    {
        byte[] data = ArrayPool<byte>.Shared.Rent(StepBytes);
        byte[] checksums = ArrayPool<byte>.Shared.Rent(StepBytes / chunkSize * sizeof(uint));
        try
        {
            long position = range.Offset;
            long end = range.Offset + range.Length;
            while (position < end)
            {
                int step = (int)Math.Min(StepBytes, end - position);
                int sums = (int)ChunkChecksums.ChunkCount(step, chunkSize) * sizeof(uint);
                cancellationToken.ThrowIfCancellationRequested();
                ReadExactly(files.Data, data.AsSpan(0, step), position);
                ReadExactly(files.Meta, checksums.AsSpan(0, sums), BlockMetaHeader.ChecksumOffset(position / chunkSize));
                int bad = ChunkChecksums.FindMismatch(data.AsSpan(0, step), chunkSize, checksums.AsSpan(0, sums));
                long verifiedEnd = bad < 0 ? position + step : position + ((long)bad * chunkSize);
                long start = Math.Max(position, from);
                long stop = Math.Min(verifiedEnd, to);
                if (stop > start)
                {
                    await destination.WriteAsync(data.AsMemory((int)(start - position), (int)(stop - start)), cancellationToken).ConfigureAwait(false);
                    Interlocked.Add(ref _bytesRead, stop - start);
                }
                if (bad >= 0)
                {
                    throw new ChecksumMismatchException(Node, version, verifiedEnd);
                }
                position += step;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(data);
            ArrayPool<byte>.Shared.Return(checksums);
        }
    }

    // A plain pread: the replica is on this machine, usually in the page cache, and async file reads on Unix
    // would only move the same call to another thread.
    private static void ReadExactly(SafeFileHandle file, Span<byte> buffer, long offset)
    {
        while (!buffer.IsEmpty)
        {
            int read = RandomAccess.Read(file, buffer, offset);
            if (read == 0)
            {
                throw new EndOfStreamException($"a replica file ended at {offset}");
            }
            buffer = buffer[read..];
            offset += read;
        }
    }

    private static ReplicaFiles? Open(string dataPath, string metaPath)
    {
        SafeFileHandle? data = null;
        try
        {
            data = File.OpenHandle(dataPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return new ReplicaFiles(data, File.OpenHandle(metaPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            data?.Dispose();
            return null;
        }
    }

    private sealed class ReplicaFiles(SafeFileHandle data, SafeFileHandle meta) : IDisposable
    {
        public SafeFileHandle Data { get; } = data;

        public SafeFileHandle Meta { get; } = meta;

        public void Dispose()
        {
            Data.Dispose();
            Meta.Dispose();
        }
    }
}
