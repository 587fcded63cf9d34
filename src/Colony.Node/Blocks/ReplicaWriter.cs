using Colony.Core;
using Colony.Storage.Blocks;
using Colony.Storage.Blocks.Transfer;
using Microsoft.Win32.SafeHandles;

namespace Colony.Node.Blocks;

/// <summary>
/// Appends verified packets to a being-written replica. Ends in exactly one of: <see cref="FinalizeAsync"/>
/// (durable, moved to finalized), <see cref="Abort"/> (files deleted) or <see cref="Dispose"/> (files kept in rbw
/// so a pipeline recovery can resume them). A pipeline recovery elsewhere may <see cref="Revoked">revoke</see> it.
/// </summary>
public sealed class ReplicaWriter : IDisposable
{
    private readonly BlockStore _store;
    private readonly SafeFileHandle _data;
    private readonly SafeFileHandle _meta;
    private readonly CancellationTokenSource _revoked = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _reserved;
    private int _ended;
    private WriteBehind _writeBehind;

    internal ReplicaWriter(BlockStore store, BlockVersion version, int chunkSize, long length, long reserved, SafeFileHandle data, SafeFileHandle meta)
    {
        _store = store;
        Version = version;
        ChunkSize = chunkSize;
        Length = length;
        _reserved = reserved;
        _data = data;
        _meta = meta;
        _writeBehind = new WriteBehind(store.Options.WriteBehindBytes);
    }

    public BlockVersion Version { get; }

    public int ChunkSize { get; }

    /// <summary>Bytes written so far (with their checksums): where the next packet must start.</summary>
    public long Length { get; private set; }

    /// <summary>Cancelled when a pipeline recovery takes this replica over: the connection writing it should stop.</summary>
    public CancellationToken Revoked => _revoked.Token;

    internal Task Closed => _closed.Task;

    internal long Reserved => Volatile.Read(ref _reserved);

    /// <summary>
    /// Writes one packet's data and checksums at <paramref name="offset"/>, which must be <see cref="Length"/>.
    /// The caller has verified the checksums. On a disk error the partial replica is deleted and a
    /// <see cref="BlockStoreException"/> (DiskFull or IoError) is thrown.
    /// </summary>
    public async ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, ReadOnlyMemory<byte> checksums, CancellationToken cancellationToken = default)
    {
        ThrowIfEnded();
        if (offset != Length || offset % ChunkSize != 0)
        {
            throw new BlockStoreException(TransferStatus.InvalidRequest, $"{Version}: write at {offset}, but the replica has {Length} bytes");
        }
        try
        {
            if (_store.Options.WriteFault?.Invoke(Version, offset) is { } fault)
            {
                throw fault;
            }
            ValueTask dataWrite = RandomAccess.WriteAsync(_data, data, offset, cancellationToken);
            try
            {
                await RandomAccess.WriteAsync(_meta, checksums, BlockMetaHeader.ChecksumOffset(offset / ChunkSize), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                // Both writes end before the files can be closed by an abort.
                await dataWrite.ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Abort();
            throw _store.Counted(BlockStoreException.FromIo($"{Version}: write at {offset}", e));
        }
        Length = offset + data.Length;
        _writeBehind.Written(_data, Length);
        Interlocked.Exchange(ref _reserved, Math.Max(0, _reserved - data.Length));
    }

    /// <summary>Makes the replica durable (fsync data and checksums), read-only and finalized, then reports it received.</summary>
    public Task FinalizeAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfEnded();
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            _store.Sync(_data);
            _store.Sync(_meta);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Abort();
            throw BlockStoreException.FromIo($"{Version}: fsync", e);
        }
        End();
        try
        {
            _store.Finalize(this);
        }
        finally
        {
            _closed.TrySetResult();
        }
        return Task.CompletedTask;
    }

    /// <summary>Deletes the partial replica.</summary>
    public void Abort()
    {
        if (End())
        {
            _store.Discard(this);
            _closed.TrySetResult();
        }
    }

    /// <summary>Closes the files and keeps the replica in rbw, so a pipeline recovery can resume it.</summary>
    public void Dispose()
    {
        if (End())
        {
            _store.Detach(this);
            _closed.TrySetResult();
        }
    }

    internal void Revoke() => _revoked.Cancel();

    private bool End()
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0)
        {
            return false;
        }
        _data.Dispose();
        _meta.Dispose();
        return true;
    }

    private void ThrowIfEnded() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _ended) != 0, this);
}
