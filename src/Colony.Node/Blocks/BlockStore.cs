using System.Threading.Channels;
using Colony.Consensus.Storage;
using Colony.Core;
using Colony.Storage.Blocks;
using Colony.Storage.Blocks.Transfer;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;

namespace Colony.Node.Blocks;

/// <summary>
/// A data node's replicas on one volume. Being-written replicas live in <c>blocks/rbw</c>; finalized ones, fsynced
/// and read-only, in <c>blocks/finalized/subdirXX/subdirYY</c>. At most one replica per block id: a newer stamp
/// replaces an older one. Thread-safe; file I/O happens outside the lock.
/// </summary>
public sealed class BlockStore : IDisposable
{
    private const UnixFileMode ReadOnly = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode Writable = ReadOnly | UnixFileMode.UserWrite;

    private readonly Lock _lock = new();
    private readonly Dictionary<BlockId, Replica> _finalized = [];
    private readonly Dictionary<BlockId, Replica> _rbw = [];
    private readonly Channel<ReplicaDelta> _deltas = Channel.CreateUnbounded<ReplicaDelta>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IVolumeSpace _volume;
    private readonly ILogger _logger;
    private int _transfers;
    private long _diskFullWrites;

    private BlockStore(BlockStoreOptions options, ILogger logger)
    {
        Options = options;
        _logger = logger;
        RbwDirectory = Path.Combine(BlocksDirectoryOf(options.Directory), "rbw");
        FinalizedDirectory = FinalizedDirectoryOf(options.Directory);
        _volume = options.Volume ?? new DriveSpace(options.Directory);
    }

    public BlockStoreOptions Options { get; }

    /// <summary>Where the finalized replicas of a store in <paramref name="directory"/> live: what short-circuit readers open.</summary>
    public static string FinalizedDirectoryOf(string directory) => Path.Combine(BlocksDirectoryOf(directory), "finalized");

    private static string BlocksDirectoryOf(string directory) => Path.Combine(Path.GetFullPath(directory), "blocks");

    public string RbwDirectory { get; }

    public string FinalizedDirectory { get; }

    /// <summary>Changes since the store opened (finalized, deleted, corrupt), for incremental block reports.</summary>
    public ChannelReader<ReplicaDelta> Deltas => _deltas.Reader;

    /// <summary>Reads and writes currently open on this store.</summary>
    public int TransfersInFlight => Volatile.Read(ref _transfers);

    /// <summary>
    /// Opens (creating if needed) the store in <see cref="BlockStoreOptions.Directory"/> and scans it. Finalized
    /// replicas whose header or length does not check out are listed as corrupt. Being-written replicas are kept,
    /// cut to their longest whole-chunk prefix that has checksums, so a pipeline recovery can resume them; one
    /// without a readable checksum file is deleted.
    /// </summary>
    public static BlockStore Open(BlockStoreOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var store = new BlockStore(options, logger ?? NullLogger.Instance);
        PhysicalFileSystem.Instance.CreateDirectory(store.RbwDirectory);
        PhysicalFileSystem.Instance.CreateDirectory(store.FinalizedDirectory);
        store.ScanFinalized();
        store.ScanRbw();
        return store;
    }

    /// <summary>
    /// Starts a new replica. Fails with <see cref="TransferStatus.DiskFull"/> when the volume lacks
    /// <paramref name="expectedLength"/> bytes beyond the reserve and other writes' reservations, and with
    /// <see cref="TransferStatus.InvalidRequest"/> when a replica of this block with this or a newer stamp exists.
    /// An older being-written replica of the block is replaced, and so is one of this version that nothing is
    /// writing any more (left in rbw across a restart).
    /// </summary>
    public async Task<ReplicaWriter> CreateAsync(BlockVersion version, int chunkSize, long expectedLength, CancellationToken cancellationToken = default)
    {
        if (!ChunkChecksums.IsValidChunkSize(chunkSize))
        {
            throw new BlockStoreException(TransferStatus.InvalidRequest, $"invalid chunk size {chunkSize}");
        }
        ArgumentOutOfRangeException.ThrowIfNegative(expectedLength);
        Replica? stale = await TakeOverAsync(version, requireExisting: false, cancellationToken).ConfigureAwait(false);
        if (stale is not null)
        {
            DeleteFiles(stale);
        }
        return Start(version, chunkSize, expectedLength, startOffset: 0, existing: null);
    }

    /// <summary>
    /// Pipeline recovery: takes this node's replica of the block with an older stamp (being written, or finalized by
    /// a pipeline whose last ack never completed), re-stamps it to <paramref name="version"/>, truncates it to
    /// <paramref name="startOffset"/> (which must not exceed what it received) and returns a writer that continues there.
    /// </summary>
    public async Task<ReplicaWriter> RecoverAsync(BlockVersion version, int chunkSize, long startOffset, long expectedLength, CancellationToken cancellationToken = default)
    {
        Replica old = (await TakeOverAsync(version, requireExisting: true, cancellationToken).ConfigureAwait(false))!;
        if (old.ChunkSize != chunkSize || startOffset % chunkSize != 0 || startOffset > old.Length)
        {
            Restore(old);
            throw new BlockStoreException(TransferStatus.InvalidRequest,
                $"{version}: cannot resume at {startOffset} with chunk size {chunkSize}; the replica has {old.Length} bytes in chunks of {old.ChunkSize}");
        }
        if (old.Finalized)
        {
            _deltas.Writer.TryWrite(new ReplicaDelta(ReplicaChange.Deleted, old.Version, old.Length));
        }
        try
        {
            string data = RbwPath(version);
            SetWritable(old.DataPath, true);
            SetWritable(old.MetaPath, true);
            File.Move(old.MetaPath, data + BlockFileNames.MetaSuffix, overwrite: true);
            File.Move(old.DataPath, data, overwrite: true);
            var fresh = new Replica(version, chunkSize, startOffset, data, finalized: false);
            using (SafeFileHandle meta = File.OpenHandle(fresh.MetaPath, FileMode.Open, FileAccess.ReadWrite))
            {
                WriteHeader(meta, version, chunkSize);
                RandomAccess.SetLength(meta, BlockMetaHeader.ChecksumOffset(startOffset / chunkSize));
            }
            return Start(version, chunkSize, expectedLength, startOffset, fresh);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw BlockStoreException.FromIo($"{version}: recovery", e);
        }
    }

    /// <summary>
    /// Opens a finalized replica for reading. Throws <see cref="BlockStoreException"/>: BlockNotFound, StaleStamp
    /// (this node has another stamp of the block), or Corrupt.
    /// </summary>
    public ReplicaReader OpenRead(BlockVersion version)
    {
        Replica replica;
        lock (_lock)
        {
            if (!_finalized.TryGetValue(version.Id, out replica!))
            {
                throw _rbw.TryGetValue(version.Id, out Replica? partial) && partial.Version.Stamp != version.Stamp
                    ? new BlockStoreException(TransferStatus.StaleStamp, $"{version.Id} is being written here with stamp {partial.Version.Stamp}, not {version.Stamp}")
                    : new BlockStoreException(TransferStatus.BlockNotFound, $"no finalized replica of {version.Id} here");
            }
            if (replica.Version.Stamp != version.Stamp)
            {
                throw new BlockStoreException(TransferStatus.StaleStamp, $"{version.Id} has stamp {replica.Version.Stamp} here, not {version.Stamp}");
            }
            if (replica.Corrupt)
            {
                throw new BlockStoreException(TransferStatus.Corrupt, $"{version} is corrupt here");
            }
            _transfers++;
        }
        try
        {
            SafeFileHandle data = File.OpenHandle(replica.DataPath, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
            SafeFileHandle meta;
            try
            {
                meta = File.OpenHandle(replica.MetaPath, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
            }
            catch
            {
                data.Dispose();
                throw;
            }
            return new ReplicaReader(replica.Version, replica.ChunkSize, replica.Length, data, meta, EndTransfer);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            EndTransfer();
            throw BlockStoreException.FromIo($"{version}: open", e);
        }
    }

    /// <summary>Deletes this node's replica of <paramref name="version"/>'s block if it has that stamp (or an older one). Returns whether one was deleted.</summary>
    public bool Delete(BlockVersion version)
    {
        Replica? victim = null;
        lock (_lock)
        {
            if (_finalized.TryGetValue(version.Id, out Replica? finalized) && finalized.Version.Stamp <= version.Stamp)
            {
                _finalized.Remove(version.Id);
                victim = finalized;
            }
            else if (_rbw.TryGetValue(version.Id, out Replica? partial) && partial.Version.Stamp <= version.Stamp)
            {
                _rbw.Remove(version.Id);
                victim = partial;
            }
        }
        if (victim is null)
        {
            return false;
        }
        victim.Writer?.Revoke();
        DeleteFiles(victim);
        BlockLog.ReplicaDeleted(_logger, victim.Version, victim.Length, version);
        _deltas.Writer.TryWrite(new ReplicaDelta(ReplicaChange.Deleted, victim.Version, victim.Length));
        return true;
    }

    /// <summary>Deletes each of <paramref name="versions"/> (the leader's delete command); returns how many existed.</summary>
    public int DeleteBlocks(IEnumerable<BlockVersion> versions) => versions.Count(Delete);

    /// <summary>Marks a finalized replica corrupt: it is no longer served, and the next report says so.</summary>
    public bool MarkCorrupt(BlockVersion version)
    {
        Replica? replica;
        lock (_lock)
        {
            if (!_finalized.TryGetValue(version.Id, out replica) || replica.Version != version || replica.Corrupt)
            {
                return false;
            }
            replica.Corrupt = true;
        }
        BlockLog.ReplicaCorrupt(_logger, version);
        _deltas.Writer.TryWrite(new ReplicaDelta(ReplicaChange.Corrupt, version, replica.Length));
        return true;
    }

    /// <summary>Every replica on this volume: the full block report.</summary>
    public IReadOnlyList<ReplicaInfo> Report()
    {
        lock (_lock)
        {
            return _finalized.Values.Concat(_rbw.Values)
                .Select(r => new ReplicaInfo(r.Version, r.Length, r.Corrupt ? ReplicaState.Corrupt : r.Finalized ? ReplicaState.Finalized : ReplicaState.BeingWritten))
                .OrderBy(r => r.Version.Id)
                .ToArray();
        }
    }

    /// <summary>The finalized, uncorrupted replicas in block id order: what the scrubber walks.</summary>
    public IReadOnlyList<ReplicaInfo> FinalizedReplicas(BlockId after = default)
    {
        lock (_lock)
        {
            return _finalized.Values.Where(r => !r.Corrupt && r.Version.Id.Value > after.Value)
                .Select(r => new ReplicaInfo(r.Version, r.Length, ReplicaState.Finalized))
                .OrderBy(r => r.Version.Id)
                .ToArray();
        }
    }

    public StoreCapacity Capacity()
    {
        lock (_lock)
        {
            long used = UsedLocked();
            var (total, free) = SpaceLocked(used);
            return new StoreCapacity(total, free, used, ReservedLocked(), _transfers);
        }
    }

    /// <summary>
    /// Writes refused or cut short because the volume was full, since the store opened. The store stays healthy
    /// through them (the partial replica is deleted); the node reports the count so an operator sees why.
    /// </summary>
    public long DiskFullWrites => Interlocked.Read(ref _diskFullWrites);

    internal BlockStoreException Counted(BlockStoreException e)
    {
        if (e.Status == TransferStatus.DiskFull)
        {
            Interlocked.Increment(ref _diskFullWrites);
        }
        return e;
    }

    private long UsedLocked() => _finalized.Values.Concat(_rbw.Values).Sum(r => r.Length);

    /// <summary>The volume's total and free bytes, within <see cref="BlockStoreOptions.CapacityBytes"/> when one is set.</summary>
    private (long Total, long Free) SpaceLocked(long used)
    {
        long cap = Options.CapacityBytes;
        return cap > 0
            ? (Math.Min(cap, _volume.TotalBytes), Math.Max(0, Math.Min(_volume.FreeBytes, cap - used)))
            : (_volume.TotalBytes, _volume.FreeBytes);
    }

    /// <summary>Counts a network transfer (e.g. a copy being sent) in <see cref="TransfersInFlight"/> until disposed.</summary>
    public IDisposable BeginTransfer()
    {
        Interlocked.Increment(ref _transfers);
        return new TransferScope(this);
    }

    public void Dispose()
    {
        List<ReplicaWriter> writers;
        lock (_lock)
        {
            writers = _rbw.Values.Select(r => r.Writer).OfType<ReplicaWriter>().ToList();
        }
        writers.ForEach(writer => writer.Dispose());
        _deltas.Writer.TryComplete();
    }

    internal void Finalize(ReplicaWriter writer)
    {
        Replica replica;
        lock (_lock)
        {
            replica = _rbw[writer.Version.Id];
        }
        var (outer, inner) = BlockFileNames.FinalizedSubdirectory(writer.Version.Id);
        string directory = Path.Combine(FinalizedDirectory, outer, inner);
        string data = Path.Combine(directory, BlockFileNames.DataName(writer.Version));
        try
        {
            PhysicalFileSystem.Instance.CreateDirectory(directory);
            SetWritable(replica.DataPath, false);
            SetWritable(replica.MetaPath, false);
            // Meta first: a crash between the moves leaves data without meta in rbw, which the scan deletes.
            File.Move(replica.MetaPath, data + BlockFileNames.MetaSuffix);
            File.Move(replica.DataPath, data);
            SyncDirectory(directory);
            SyncDirectory(RbwDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            lock (_lock)
            {
                _rbw.Remove(writer.Version.Id);
                _transfers--;
            }
            DeleteFiles(replica);
            DeleteFiles(new Replica(writer.Version, writer.ChunkSize, 0, data, finalized: true));
            throw BlockStoreException.FromIo($"{writer.Version}: finalize", e);
        }
        var done = new Replica(writer.Version, writer.ChunkSize, writer.Length, data, finalized: true);
        lock (_lock)
        {
            _rbw.Remove(writer.Version.Id);
            _finalized[writer.Version.Id] = done;
            _transfers--;
        }
        _deltas.Writer.TryWrite(new ReplicaDelta(ReplicaChange.Received, done.Version, done.Length));
    }

    /// <summary>fsync of a replica's file. Every fsync of the store goes through here or <see cref="SyncDirectory"/>.</summary>
    internal void Sync(SafeFileHandle file)
    {
        Options.BeforeSync?.Invoke();
        RandomAccess.FlushToDisk(file);
    }

    private void SyncDirectory(string directory)
    {
        Options.BeforeSync?.Invoke();
        PhysicalFileSystem.Instance.SyncDirectory(directory);
    }

    internal void Discard(ReplicaWriter writer)
    {
        Replica? replica;
        lock (_lock)
        {
            if (_rbw.TryGetValue(writer.Version.Id, out replica) && replica.Writer == writer)
            {
                _rbw.Remove(writer.Version.Id);
            }
            else
            {
                replica = null;
            }
            _transfers--;
        }
        if (replica is not null)
        {
            DeleteFiles(replica);
        }
    }

    internal void Detach(ReplicaWriter writer)
    {
        lock (_lock)
        {
            if (_rbw.TryGetValue(writer.Version.Id, out Replica? replica) && replica.Writer == writer)
            {
                replica.Writer = null;
                replica.Length = writer.Length;
            }
            _transfers--;
        }
    }

    /// <summary>
    /// Claims the block id for <paramref name="version"/>: revokes any writer of an older stamp and waits for it to
    /// let go, then removes the older replica from the tables and returns it (null if there is none).
    /// </summary>
    private async Task<Replica?> TakeOverAsync(BlockVersion version, bool requireExisting, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task? busy = null;
            lock (_lock)
            {
                Replica? existing = _rbw.GetValueOrDefault(version.Id) ?? _finalized.GetValueOrDefault(version.Id);
                if (existing is null)
                {
                    if (requireExisting)
                    {
                        throw new BlockStoreException(TransferStatus.BlockNotFound, $"no replica of {version.Id} here to resume");
                    }
                    return null;
                }
                // A leftover of this very version (kept in rbw by a restart, with no writer) is replaced by a fresh
                // write: it is what an interrupted copy leaves, and the copy's retry must be able to land here.
                bool leftover = existing.Version == version && !existing.Finalized && existing.Writer is null && !requireExisting;
                if (existing.Version.Stamp >= version.Stamp && !leftover)
                {
                    throw new BlockStoreException(TransferStatus.InvalidRequest, $"{version.Id} already has stamp {existing.Version.Stamp} here, not older than {version.Stamp}");
                }
                if (existing.Finalized && !requireExisting)
                {
                    // A fresh write of a block this node holds finalized under an older stamp: the old one goes.
                    _finalized.Remove(version.Id);
                    _deltas.Writer.TryWrite(new ReplicaDelta(ReplicaChange.Deleted, existing.Version, existing.Length));
                    return existing;
                }
                if (existing.Writer is { } writer)
                {
                    writer.Revoke();
                    busy = writer.Closed;
                }
                else
                {
                    (existing.Finalized ? _finalized : _rbw).Remove(version.Id);
                    return existing;
                }
            }
            try
            {
                await busy.WaitAsync(Options.WriterHandoverTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new BlockStoreException(TransferStatus.InvalidRequest, $"{version.Id}: the old writer did not let go");
            }
        }
    }

    private void Restore(Replica replica)
    {
        lock (_lock)
        {
            (replica.Finalized ? _finalized : _rbw)[replica.Version.Id] = replica;
        }
    }

    private ReplicaWriter Start(BlockVersion version, int chunkSize, long expectedLength, long startOffset, Replica? existing)
    {
        long need = Math.Max(0, expectedLength - startOffset);
        Replica replica = existing ?? new Replica(version, chunkSize, 0, RbwPath(version), finalized: false);
        lock (_lock)
        {
            long available = SpaceLocked(Options.CapacityBytes > 0 ? UsedLocked() : 0).Free - Options.ReserveBytes - ReservedLocked();
            if (need > available)
            {
                if (existing is not null)
                {
                    _rbw[version.Id] = existing;
                }
                throw Counted(new BlockStoreException(TransferStatus.DiskFull,
                    $"{version}: needs {need} bytes, {Math.Max(0, available)} free beyond the reserve of {Options.ReserveBytes}"));
            }
            if (!_rbw.TryAdd(version.Id, replica) && _rbw[version.Id] != replica)
            {
                throw new BlockStoreException(TransferStatus.InvalidRequest, $"{version.Id} is already being written here");
            }
            _transfers++;
        }
        SafeFileHandle? data = null;
        SafeFileHandle? meta = null;
        try
        {
            FileMode mode = existing is null ? FileMode.CreateNew : FileMode.Open;
            data = File.OpenHandle(replica.DataPath, mode, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete);
            meta = File.OpenHandle(replica.MetaPath, mode, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete);
            if (existing is null)
            {
                WriteHeader(meta, version, chunkSize);
            }
            else
            {
                RandomAccess.SetLength(data, startOffset);
            }
            var writer = new ReplicaWriter(this, version, chunkSize, startOffset, need, data, meta);
            lock (_lock)
            {
                replica.Writer = writer;
                replica.Length = startOffset;
            }
            return writer;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            data?.Dispose();
            meta?.Dispose();
            lock (_lock)
            {
                _rbw.Remove(version.Id);
                _transfers--;
            }
            DeleteFiles(replica);
            throw Counted(BlockStoreException.FromIo($"{version}: create", e));
        }
    }

    private long ReservedLocked() => _rbw.Values.Sum(r => r.Writer?.Reserved ?? 0);

    private string RbwPath(BlockVersion version) => Path.Combine(RbwDirectory, BlockFileNames.DataName(version));

    private void EndTransfer() => Interlocked.Decrement(ref _transfers);

    /// <summary>Finalized replicas are read-only, so nothing rewrites them by accident.</summary>
    private static void SetWritable(string path, bool writable)
    {
        if (OperatingSystem.IsWindows())
        {
            File.SetAttributes(path, writable ? FileAttributes.Normal : FileAttributes.ReadOnly);
        }
        else
        {
            File.SetUnixFileMode(path, writable ? Writable : ReadOnly);
        }
    }

    private static void WriteHeader(SafeFileHandle meta, BlockVersion version, int chunkSize)
    {
        Span<byte> header = stackalloc byte[BlockMetaHeader.Size];
        new BlockMetaHeader(version, chunkSize).Write(header);
        RandomAccess.Write(meta, header, 0);
    }

    private void DeleteFiles(Replica replica)
    {
        foreach (string path in new[] { replica.MetaPath, replica.DataPath })
        {
            try
            {
                File.Delete(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                BlockLog.DeleteFailed(_logger, path, e.Message);
            }
        }
    }

    private void ScanFinalized()
    {
        foreach (string path in Directory.EnumerateFiles(FinalizedDirectory, "blk_*", SearchOption.AllDirectories))
        {
            if (!BlockFileNames.TryParseDataName(Path.GetFileName(path), out BlockVersion? parsed))
            {
                continue;
            }
            BlockVersion version = parsed.Value;
            (int chunkSize, long length, string? problem) = Inspect(path, version);
            var replica = new Replica(version, chunkSize, length, path, finalized: true) { Corrupt = problem is not null };
            if (problem is not null)
            {
                BlockLog.ScanProblem(_logger, path, problem);
            }
            if (_finalized.TryGetValue(version.Id, out Replica? other))
            {
                // Two stamps of one block (a crash mid-recovery): the newer wins.
                Replica older = other.Version.Stamp < version.Stamp ? other : replica;
                DeleteFiles(older);
                replica = older == other ? replica : other;
            }
            _finalized[version.Id] = replica;
        }
    }

    private void ScanRbw()
    {
        foreach (string path in Directory.EnumerateFiles(RbwDirectory, "blk_*"))
        {
            if (!BlockFileNames.TryParseDataName(Path.GetFileName(path), out BlockVersion? parsed))
            {
                continue;
            }
            BlockVersion version = parsed.Value;
            (int chunkSize, long length, string? problem) = Inspect(path, version, partial: true);
            var replica = new Replica(version, chunkSize, length, path, finalized: false);
            if (problem is not null || _finalized.ContainsKey(version.Id) && _finalized[version.Id].Version.Stamp >= version.Stamp)
            {
                BlockLog.ScanProblem(_logger, path, problem ?? "a finalized replica supersedes it");
                DeleteFiles(replica);
                continue;
            }
            if (_rbw.TryGetValue(version.Id, out Replica? other))
            {
                Replica older = other.Version.Stamp < version.Stamp ? other : replica;
                DeleteFiles(older);
                replica = older == other ? replica : other;
            }
            _rbw[version.Id] = replica;
        }
    }

    /// <summary>
    /// Checks a replica's files. A finalized one must have a valid header naming the same version and exactly one
    /// checksum per chunk of data. A partial one is usable up to its longest whole-chunk prefix that has checksums.
    /// </summary>
    private static (int ChunkSize, long Length, string? Problem) Inspect(string dataPath, BlockVersion version, bool partial = false)
    {
        try
        {
            string metaPath = dataPath + BlockFileNames.MetaSuffix;
            if (!File.Exists(metaPath))
            {
                return (ChunkChecksums.MinChunkSize, 0, "no checksum file");
            }
            long dataLength = new FileInfo(dataPath).Length;
            long metaLength = new FileInfo(metaPath).Length;
            Span<byte> buffer = stackalloc byte[BlockMetaHeader.Size];
            int read;
            using (SafeFileHandle meta = File.OpenHandle(metaPath))
            {
                read = RandomAccess.Read(meta, buffer, 0);
            }
            return ReplicaSidecar.Inspect(buffer[..read], metaLength, dataLength, version, partial);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (ChunkChecksums.MinChunkSize, 0, e.Message);
        }
    }

    /// <summary>The store's record of one replica; mutable fields change under the store's lock.</summary>
    private sealed class Replica(BlockVersion version, int chunkSize, long length, string dataPath, bool finalized)
    {
        public BlockVersion Version { get; } = version;

        public int ChunkSize { get; } = chunkSize;

        public long Length { get; set; } = length;

        public string DataPath { get; } = dataPath;

        public string MetaPath => DataPath + BlockFileNames.MetaSuffix;

        public bool Finalized { get; } = finalized;

        public bool Corrupt { get; set; }

        public ReplicaWriter? Writer { get; set; }
    }

    private sealed class TransferScope(BlockStore store) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                store.EndTransfer();
            }
        }
    }
}
