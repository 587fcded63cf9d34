using System.Net.Sockets;
using Colony.Client.Blocks;
using Colony.Core;
using Colony.Storage.Blocks.Transfer;

namespace Colony.Client.FileSystem;

/// <summary>
/// Reads a complete file from its data nodes, verifying every chunk. Seekable. A replica that fails (gone,
/// stale, or a bad checksum) is left for the next one, resuming where the verified bytes ended; bad
/// checksums are reported to the leader so the replica is replaced. CopyToAsync streams each block straight
/// into the destination, without this stream's buffer.
/// </summary>
internal sealed class FileReadStream : Stream
{
    /// <summary>Bytes fetched per read into the stream's own buffer: large enough to keep the connection busy.</summary>
    private const int ReadAhead = 4 * 1024 * 1024;

    /// <summary>The first fetch after a seek or a block boundary: one checksum chunk.</summary>
    private const int FirstFill = 64 * 1024;

    private const int MaxLocateRounds = 20;

    private static readonly TimeSpan RelocateDelay = TimeSpan.FromMilliseconds(500);

    private readonly ColonyFileSystem _fs;
    private readonly string _path;
    private LocationsResponse _file;
    private byte[]? _buffer;
    private long _bufferStart;
    private int _bufferLength;
    private long _position;

    public FileReadStream(ColonyFileSystem fs, string path, LocationsResponse file)
    {
        _fs = fs;
        _path = path;
        _file = file;
    }

    /// <summary>Bytes fetched from replicas so far, verified.</summary>
    public long BytesFetched { get; private set; }

    /// <summary>The part of <see cref="BytesFetched"/> read straight from a local replica's files.</summary>
    public long LocalBytesFetched { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => _file.Length;

    public override long Position
    {
        get => _position;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _position = value;
        }
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => Length + offset,
        };
        return _position;
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        if (destination.IsEmpty || _position >= Length)
        {
            return 0;
        }
        if (_buffer is null || _position < _bufferStart || _position >= _bufferStart + _bufferLength)
        {
            await FillAsync(cancellationToken).ConfigureAwait(false);
        }
        int from = (int)(_position - _bufferStart);
        int count = Math.Min(destination.Length, _bufferLength - from);
        _buffer.AsSpan(from, count).CopyTo(destination.Span);
        _position += count;
        return count;
    }

    /// <summary>
    /// Fetches from the block holding the position: one chunk after a seek or at the start of a block, then
    /// twice as much each time up to <see cref="ReadAhead"/>. A reader that stops soon after a block starts
    /// (a map task finishing the line that crosses its split's end) then fetches little it does not need.
    /// </summary>
    private async Task FillAsync(CancellationToken cancellationToken)
    {
        var block = BlockAt(_position);
        long inBlock = _position - block.Offset;
        bool sequential = _buffer is not null && _position == _bufferStart + _bufferLength && inBlock > 0;
        int want = sequential ? Math.Min(ReadAhead, 2 * _bufferLength) : FirstFill;
        int length = (int)Math.Min(want, block.Length - inBlock);
        _buffer ??= new byte[ReadAhead];
        using var target = new MemoryStream(_buffer, 0, length, writable: true);
        await ReadBlockAsync(block, inBlock, length, target, opened: null, cancellationToken).ConfigureAwait(false);
        _bufferStart = _position;
        _bufferLength = length;
    }

    /// <summary>
    /// Streams every block from the position on. While one block comes in, the next block's read is opened (connection,
    /// handshake, request, and the node's first disk reads), so the node sends it the moment this one ends.
    /// </summary>
    public override async Task CopyToAsync(Stream destination, int bufferSize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        Task<BlockRead?>? ahead = null;
        try
        {
            while (_position < Length)
            {
                var block = BlockAt(_position);
                long inBlock = _position - block.Offset;
                long length = block.Length - inBlock;
                BlockRead? opened = ahead is null ? null : await ahead.ConfigureAwait(false);
                long following = block.Offset + block.Length;
                ahead = following < Length ? OpenAheadAsync(BlockAt(following), cancellationToken) : null;
                await ReadBlockAsync(block, inBlock, length, destination, opened, cancellationToken).ConfigureAwait(false);
                _position += length;
            }
        }
        finally
        {
            if (ahead is not null && await ahead.ConfigureAwait(false) is { } unused)
            {
                await unused.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Opens the read of a whole block from the replica <see cref="ReadFromReplicasAsync"/> would try first, or returns null
    /// (a local replica comes first, or the open failed: the read then goes the usual way, with its fail-over).
    /// </summary>
    private async Task<BlockRead?> OpenAheadAsync(LocatedBlockResponse block, CancellationToken cancellationToken)
    {
        if (block.Nodes.Count == 0 || (_fs.LocalReplicas is { } local && block.Nodes.Contains(local.Node)))
        {
            return null;
        }
        var version = new BlockVersion(new BlockId(block.BlockId), new GenerationStamp(block.Stamp));
        try
        {
            return await _fs.Transfers.OpenReadAsync(block.Nodes[0], version, 0, block.Length, block.Token ?? "", cancellationToken).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Whatever went wrong (a refusal, a dead node, a failed handshake) happens again on the usual way, which
            // fails over or reports it, when the block's turn comes.
            return null;
        }
    }

    private LocatedBlockResponse BlockAt(long position)
    {
        foreach (var block in _file.Blocks)
        {
            if (position >= block.Offset && position < block.Offset + block.Length)
            {
                return block;
            }
        }
        throw new IOException($"{_path}: no block covers offset {position}");
    }

    /// <summary>Reads [offset, +length) of a block into <paramref name="destination"/>, failing over between replicas.</summary>
    /// <param name="opened">A read of this block opened ahead, used if it matches the first replica tried; disposed in any case.</param>
    private async Task ReadBlockAsync(LocatedBlockResponse block, long offset, long length, Stream destination, BlockRead? opened, CancellationToken cancellationToken)
    {
        var counted = new CountingStream(destination);
        try
        {
            await ReadFromReplicasAsync(block, offset, length, counted, opened, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            BytesFetched += counted.Written;
            if (opened is not null)
            {
                await opened.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task ReadFromReplicasAsync(LocatedBlockResponse block, long offset, long length, CountingStream counted, BlockRead? opened, CancellationToken cancellationToken)
    {
        var version = new BlockVersion(new BlockId(block.BlockId), new GenerationStamp(block.Stamp));
        var tried = new HashSet<string>();
        Exception? last = null;
        bool renewed = false;
        if (_fs.LocalReplicas is { } local && block.Nodes.Contains(local.Node))
        {
            tried.Add(local.Node);
            try
            {
                if (await local.TryReadAsync(version, offset, length, counted, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (ChecksumMismatchException e)
            {
                last = e;
                await _fs.ReportCorruptAsync(local.Node, version).ConfigureAwait(false);
            }
            catch (Exception e) when (!counted.Failed && e is IOException or UnauthorizedAccessException or InvalidDataException or ArgumentOutOfRangeException)
            {
                // Not readable here after all (moved, or a sidecar we cannot use): the node itself may still serve it.
                last = e;
                tried.Remove(local.Node);
            }
            finally
            {
                LocalBytesFetched += counted.Written;
            }
        }
        // A new leader knows no replicas until the data nodes' reports arrive (a second or two): ask again a few times.
        for (int round = 0; round < MaxLocateRounds; round++)
        {
            if (round > 0)
            {
                await Task.Delay(RelocateDelay, cancellationToken).ConfigureAwait(false);
                _file = await _fs.LocateAsync(_path, cancellationToken).ConfigureAwait(false);
                block = _file.Blocks.FirstOrDefault(b => b.BlockId == block.BlockId) ?? block;
                if (round < MaxLocateRounds - 1 && block.Nodes.All(tried.Contains))
                {
                    continue;
                }
            }
            foreach (string node in block.Nodes)
            {
                if (!tried.Add(node))
                {
                    continue;
                }
                for (bool again = true; again;)
                {
                    again = false;
                    try
                    {
                        // Resume after the bytes already delivered (they were verified).
                        long from = offset + counted.Written, rest = length - counted.Written;
                        if (opened is { } ready && ready.Node == node && ready.Version == version && ready.Offset == from && ready.Length == rest)
                        {
                            opened = null;
                            await using (ready.ConfigureAwait(false))
                            {
                                await ready.CopyToAsync(counted, cancellationToken).ConfigureAwait(false);
                            }
                        }
                        else
                        {
                            if (opened is { } unused)
                            {
                                // Opened from another replica or for other bytes: let its node stop sending now.
                                opened = null;
                                await unused.DisposeAsync().ConfigureAwait(false);
                            }
                            await _fs.Transfers.ReadBlockAsync(node, version, from, rest, counted, block.Token ?? "", cancellationToken).ConfigureAwait(false);
                        }
                        return;
                    }
                    catch (ReplicaUnavailableException e) when (e.Status == TransferStatus.AccessDenied && !renewed && !counted.Failed)
                    {
                        // The tokens came with the locations and outlived their lifetime (a stream kept open a long
                        // time): fresh locations bring fresh tokens, and this node is asked again with them.
                        last = e;
                        renewed = true;
                        again = true;
                        _file = await _fs.LocateAsync(_path, cancellationToken).ConfigureAwait(false);
                        block = _file.Blocks.FirstOrDefault(b => b.BlockId == block.BlockId) ?? block;
                        version = new BlockVersion(version.Id, new GenerationStamp(block.Stamp));
                    }
                    catch (ChecksumMismatchException e)
                    {
                        last = e;
                        await _fs.ReportCorruptAsync(node, version).ConfigureAwait(false);
                    }
                    catch (Exception e) when (!counted.Failed && e is BlockTransferException or IOException or SocketException or TimeoutException)
                    {
                        last = e;
                    }
                }
            }
            // Every known replica failed: the leader may know others (re-replicated since the file was opened).
        }
        throw new IOException($"{_path}: block {version} could not be read from any replica ({block.Nodes.Count} known): {last?.Message}", last);
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <summary>Counts what reaches the destination, so a failed replica's read resumes where it stopped.</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        public long Written { get; private set; }

        /// <summary>The destination itself failed: no other replica can help.</summary>
        public bool Failed { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => Written;
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                Failed = true;
                throw;
            }
            Written += buffer.Length;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
