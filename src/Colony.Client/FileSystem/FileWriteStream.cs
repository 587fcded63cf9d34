using Colony.Client.Blocks;
using Colony.Core;

namespace Colony.Client.FileSystem;

/// <summary>
/// Writes a file block by block. Bytes collect in a block-sized buffer; a full buffer is sent through its
/// pipeline while the caller fills the other one, so reading the source and sending overlap and each byte is
/// copied once on this side. A pipeline that fails part-way is rebuilt from the survivors with a new stamp,
/// resuming at the length every survivor acknowledged. Disposing sends the rest and closes the file.
/// </summary>
internal sealed class FileWriteStream : Stream
{
    private const int MaxPipelineAttempts = 5;

    private readonly ColonyFileSystem _fs;
    private readonly string _path;
    private readonly int _blockSize;
    private readonly CancellationTokenSource _closing = new();
    private readonly Task _renewing;
    private byte[] _filling;
    private byte[]? _spare;
    private int _filled;
    private uint _crc;
    private long _position;
    private Task _sending = Task.CompletedTask;
    private bool _closed;
    private readonly int _pipelineWidth;

    /// <summary>The last committed block's id (0: none yet), so a retried add-block is recognised as one.</summary>
    private ulong _previous;

    /// <param name="pipelineWidth">How many of each block's targets the bytes are streamed to (the ack mode); the leader copies the rest.</param>
    public FileWriteStream(ColonyFileSystem fs, string path, long blockSize, int pipelineWidth)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pipelineWidth, 1);
        if (blockSize > Array.MaxLength)
        {
            throw new NotSupportedException($"blocks over {Array.MaxLength} bytes are not supported by this client");
        }
        _fs = fs;
        _path = path;
        _blockSize = (int)blockSize;
        _pipelineWidth = pipelineWidth;
        _filling = new byte[_blockSize];
        _renewing = RenewLeaseAsync(_closing.Token);
    }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => !_closed;

    public override long Length => _position;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        while (!buffer.IsEmpty)
        {
            int take = Math.Min(buffer.Length, _blockSize - _filled);
            var piece = buffer.Span[..take];
            piece.CopyTo(_filling.AsSpan(_filled));
            _crc = Crc32C.Append(_crc, piece); // while the bytes are in cache
            _filled += take;
            _position += take;
            buffer = buffer[take..];
            if (_filled == _blockSize)
            {
                await SendFilledAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public override void Flush()
    {
        // Bytes are durable only when the file is closed; a block is sent when full.
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Waits for the block in flight, then starts sending the filled one and swaps buffers.</summary>
    private async Task SendFilledAsync(CancellationToken cancellationToken)
    {
        await _sending.ConfigureAwait(false);
        byte[] block = _filling;
        int length = _filled;
        uint crc = _crc;
        _sending = SendBlockAsync(block, length, crc, cancellationToken);
        _filling = _spare ?? new byte[_blockSize];
        _spare = block; // reused once that send is awaited
        _filled = 0;
        _crc = 0;
    }

    private async Task SendBlockAsync(byte[] data, int length, uint crc, CancellationToken cancellationToken)
    {
        var excluded = new List<string>();
        for (int attempt = 0; ; attempt++)
        {
            var block = await _fs.PostAsync("add-block", new FsRequest
            {
                Path = _path, Holder = _fs.Options.ClientName, Writer = _fs.Options.LocalDataNode, Excluded = excluded, Previous = _previous,
            }, FsClientJson.Default.LocatedBlockResponse, cancellationToken).ConfigureAwait(false);
            var version = new BlockVersion(new BlockId(block.BlockId), new GenerationStamp(block.Stamp));
            string token = block.Token ?? "";
            var pipeline = block.Nodes.Take(_pipelineWidth).ToList();
            long start = 0;
            while (true)
            {
                try
                {
                    using var source = new MemoryStream(data, (int)start, length - (int)start, writable: false);
                    await _fs.Transfers.WriteBlockAsync(pipeline, version, source, start, length, null, token, cancellationToken).ConfigureAwait(false);
                    await _fs.PostAsync("commit-block", new FsRequest
                    {
                        Path = _path, Holder = _fs.Options.ClientName, BlockId = version.Id.Value, Stamp = version.Stamp.Value,
                        Length = length, Checksum = crc,
                    }, cancellationToken).ConfigureAwait(false);
                    _previous = version.Id.Value;
                    return;
                }
                catch (PipelineFailedException e) when (attempt < MaxPipelineAttempts)
                {
                    excluded.Add(e.Node);
                    pipeline.Remove(e.Node);
                    if (pipeline.Count == 0)
                    {
                        // Nothing survived: drop the block and ask for a fresh pipeline.
                        try
                        {
                            await _fs.PostAsync("abandon-block", new FsRequest { Path = _path, Holder = _fs.Options.ClientName, BlockId = version.Id.Value }, cancellationToken).ConfigureAwait(false);
                        }
                        catch (FsException e2) when (e2.Error == "BlockMismatch")
                        {
                            // Already dropped (a retry whose first answer was lost), or still open: add-block hands it back.
                        }
                        break;
                    }
                    var renewed = await _fs.PostAsync("update-pipeline", new FsRequest { Path = _path, Holder = _fs.Options.ClientName, BlockId = version.Id.Value },
                        FsClientJson.Default.LocatedBlockResponse, cancellationToken).ConfigureAwait(false);
                    version = new BlockVersion(version.Id, new GenerationStamp(renewed.Stamp));
                    token = renewed.Token ?? ""; // the new stamp needs a token of its own
                    start = e.AckedLength;
                    attempt++;
                }
            }
        }
    }

    private async Task RenewLeaseAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var timer = new PeriodicTimer(_fs.Options.LeaseRenewal);
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await _fs.PostAsync("renew-lease", new FsRequest { Holder = _fs.Options.ClientName }, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is FsException or HttpRequestException)
                {
                    // Try again next time; the lease lasts far longer than one period.
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// Gives the file up: nothing more is sent, the lease is no longer renewed, and the file is deleted (bypassing the
    /// trash), so a write that broke off never leaves a partial file behind. Disposing afterwards does nothing.
    /// </summary>
    public async Task AbortAsync()
    {
        if (_closed)
        {
            return;
        }
        _closed = true;
        try
        {
            try
            {
                await _sending.ConfigureAwait(false);
            }
            catch (Exception e) when (e is FsException or IOException or HttpRequestException)
            {
                // The block in flight failed too; the file goes either way.
            }
            await _fs.DeleteAsync(_path, skipTrash: true).ConfigureAwait(false);
        }
        finally
        {
            await _closing.CancelAsync().ConfigureAwait(false);
            await _renewing.ConfigureAwait(false);
            _closing.Dispose();
            await base.DisposeAsync().ConfigureAwait(false);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (_closed)
        {
            return;
        }
        _closed = true;
        try
        {
            if (_filled > 0)
            {
                await SendFilledAsync(CancellationToken.None).ConfigureAwait(false);
            }
            await _sending.ConfigureAwait(false);
            try
            {
                await _fs.PostAsync("complete", new FsRequest { Path = _path, Holder = _fs.Options.ClientName }, CancellationToken.None).ConfigureAwait(false);
            }
            catch (FsException e) when (e.Error == "FileNotUnderConstruction")
            {
                // A retry of a complete whose first answer was lost leaves the file closed with every byte; anything else is a failure.
                if (await _fs.StatAsync(_path).ConfigureAwait(false) is not { State: "complete", ClosedByRecovery: false } done || done.Length != _position)
                {
                    throw;
                }
            }
        }
        finally
        {
            await _closing.CancelAsync().ConfigureAwait(false);
            await _renewing.ConfigureAwait(false);
            _closing.Dispose();
            await base.DisposeAsync().ConfigureAwait(false);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_closed)
        {
            DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        base.Dispose(disposing);
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
