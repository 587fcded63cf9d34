using Colony.Client.Blocks;
using Colony.Core;
using Colony.Storage.Blocks;
using Colony.Storage.Blocks.Transfer;

namespace Colony.Node.Blocks;

/// <summary>
/// Carries out the leader's copy commands: streams a finalized local replica to another node through the write
/// protocol (a one-node pipeline). Every copy from this node shares one bandwidth cap, so re-replication never
/// starves client traffic. The source bytes are verified as they are read, so a corrupt replica is never spread.
/// The target checks a copy token this node mints itself with the cluster secret (the leader's command is the
/// authority; the token proves to the target that a node of the cluster sends it).
/// </summary>
public sealed class BlockReplicator
{
    private readonly BlockStore _store;
    private readonly BlockTransferClient _client;
    private readonly TokenBucket _bandwidth;
    private readonly Func<BlockVersion, string> _copyToken;

    /// <param name="copyToken">The token to send with a copy of a block; null sends none (to servers that ask for none).</param>
    public BlockReplicator(BlockStore store, BlockTransferClient client, long bytesPerSecond, TimeProvider time, Func<BlockVersion, string>? copyToken = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(client);
        _store = store;
        _client = client;
        _bandwidth = new TokenBucket(bytesPerSecond, time);
        _copyToken = copyToken ?? (_ => "");
    }

    /// <summary>Default cap on copy traffic from one node: 32 MiB/s.</summary>
    public const long DefaultBytesPerSecond = 32L * 1024 * 1024;

    /// <summary>
    /// Copies <paramref name="version"/> to <paramref name="target"/> ("host:port"); returns the bytes copied. Throws
    /// <see cref="BlockStoreException"/> if the local replica is missing or corrupt (and then marks it corrupt),
    /// <see cref="PipelineFailedException"/> if the target fails.
    /// </summary>
    public async Task<long> CopyAsync(BlockVersion version, string target, CancellationToken cancellationToken = default)
    {
        using ReplicaReader reader = _store.OpenRead(version);
        var source = new VerifiedReplicaStream(reader, _bandwidth);
        try
        {
            return await _client.WriteBlockAsync([target], version, source, 0, reader.Length, reader.ChunkSize, _copyToken(version), cancellationToken).ConfigureAwait(false);
        }
        catch (BlockStoreException e) when (e.Status == TransferStatus.Corrupt)
        {
            _store.MarkCorrupt(version);
            throw;
        }
    }

    /// <summary>A replica read front to back in verified, rate-limited pieces.</summary>
    private sealed class VerifiedReplicaStream(ReplicaReader reader, TokenBucket bandwidth) : Stream
    {
        private const int Piece = 1024 * 1024;
        private readonly byte[] _buffer = new byte[Piece];
        private readonly byte[] _checksums = new byte[Piece / ChunkChecksums.MinChunkSize * sizeof(uint)];
        private long _position;
        private int _start;
        private int _end;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => reader.Length;

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_start == _end)
            {
                long next = _position + (_end - _start);
                int length = (int)Math.Min(Piece / reader.ChunkSize * reader.ChunkSize, reader.Length - next);
                if (length == 0)
                {
                    return 0;
                }
                var range = new ChunkRange(next, length, reader.ChunkSize);
                await reader.ReadVerifiedAsync(range, _buffer, _checksums, cancellationToken).ConfigureAwait(false);
                await bandwidth.TakeAsync(length, cancellationToken).ConfigureAwait(false);
                _start = 0;
                _end = length;
            }
            int count = Math.Min(buffer.Length, _end - _start);
            _buffer.AsMemory(_start, count).CopyTo(buffer);
            _start += count;
            _position += count;
            return count;
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("read asynchronously");

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
