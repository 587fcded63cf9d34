using Colony.Core;
using Colony.Storage.Blocks;
using Colony.Storage.Blocks.Transfer;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Colony.Node.Blocks;

/// <summary>Settings of the background verifier of finalized replicas.</summary>
public sealed class ScrubberOptions
{
    /// <summary>Disk bandwidth the scrubber may use. Default 8 MiB/s (a 10 TB disk every two weeks).</summary>
    public long BytesPerSecond { get; init; } = 8L * 1024 * 1024;

    /// <summary>Rest between two full passes. Default 1 hour.</summary>
    public TimeSpan PauseBetweenPasses { get; init; } = TimeSpan.FromHours(1);
}

/// <summary>A replica the scrubber found corrupt.</summary>
public readonly record struct CorruptReplica(BlockVersion Version, string Reason);

/// <summary>
/// Re-reads every finalized replica, in block id order, at a capped rate, and checks every chunk against its stored
/// checksum, so silent corruption is found before a reader needs the replica. A corrupt replica is marked in the
/// store (so the next block report tells the leader) and raised through <see cref="CorruptReplicaFound"/>.
/// </summary>
public sealed class BlockScrubber
{
    private const int Piece = 1024 * 1024;
    private readonly BlockStore _store;
    private readonly ScrubberOptions _options;
    private readonly TimeProvider _time;
    private readonly TokenBucket _bandwidth;
    private readonly ILogger _logger;
    private readonly byte[] _buffer = new byte[Piece];
    private readonly byte[] _checksums = new byte[Piece / ChunkChecksums.MinChunkSize * sizeof(uint)];

    public BlockScrubber(BlockStore store, ScrubberOptions options, TimeProvider time, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BytesPerSecond, 1);
        _store = store;
        _options = options;
        _time = time;
        _bandwidth = new TokenBucket(options.BytesPerSecond, time, burstBytes: Math.Max(Piece, options.BytesPerSecond / 10));
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Raised (on the scrubber's task) for each corrupt replica found.</summary>
    public event Action<CorruptReplica>? CorruptReplicaFound;

    /// <summary>Bytes verified since the scrubber was made.</summary>
    public long BytesVerified { get; private set; }

    /// <summary>Scrubs pass after pass until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await ScrubPassAsync(cancellationToken).ConfigureAwait(false);
                await Task.Delay(_options.PauseBetweenPasses, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A failing disk must not stop the scrubber for good: try again after the pause.
                BlockLog.ScrubFailed(_logger, e);
                try
                {
                    await Task.Delay(_options.PauseBetweenPasses, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Verifies every finalized replica once, in block id order; returns the corrupt ones found.</summary>
    public async Task<IReadOnlyList<CorruptReplica>> ScrubPassAsync(CancellationToken cancellationToken = default)
    {
        List<CorruptReplica> found = [];
        foreach (ReplicaInfo replica in _store.FinalizedReplicas())
        {
            string? problem = await VerifyAsync(replica.Version, cancellationToken).ConfigureAwait(false);
            if (problem is not null && _store.MarkCorrupt(replica.Version))
            {
                var corrupt = new CorruptReplica(replica.Version, problem);
                BlockLog.ScrubFoundCorrupt(_logger, replica.Version, problem);
                found.Add(corrupt);
                CorruptReplicaFound?.Invoke(corrupt);
            }
        }
        return found;
    }

    /// <summary>Returns why the replica is corrupt, or null if it checks out (or went away meanwhile).</summary>
    private async Task<string?> VerifyAsync(BlockVersion version, CancellationToken cancellationToken)
    {
        ReplicaReader reader;
        try
        {
            reader = _store.OpenRead(version);
        }
        catch (BlockStoreException e) when (e.Status is TransferStatus.BlockNotFound or TransferStatus.StaleStamp or TransferStatus.Corrupt)
        {
            return null;
        }
        catch (BlockStoreException e)
        {
            return e.Message;
        }
        using (reader)
        {
            int piece = Piece / reader.ChunkSize * reader.ChunkSize;
            for (long offset = 0; offset < reader.Length; offset += piece)
            {
                int length = (int)Math.Min(piece, reader.Length - offset);
                await _bandwidth.TakeAsync(length, cancellationToken).ConfigureAwait(false);
                try
                {
                    await reader.ReadVerifiedAsync(new ChunkRange(offset, length, reader.ChunkSize), _buffer, _checksums, cancellationToken).ConfigureAwait(false);
                }
                catch (BlockStoreException e)
                {
                    return e.Message;
                }
                BytesVerified += length;
            }
        }
        return null;
    }
}
