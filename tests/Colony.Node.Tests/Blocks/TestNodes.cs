using System.Net;
using Colony.Client.Blocks;
using Colony.Core;
using Colony.Node.Blocks;

namespace Colony.Node.Tests.Blocks;

/// <summary>Data nodes for tests: a store in its own temp directory and a transfer server on a loopback port each.</summary>
internal sealed class TestNodes : IAsyncDisposable
{
    /// <summary>Small packets and chunks, so tests cross many packet and chunk boundaries with little data.</summary>
    public static readonly BlockTransferOptions SmallPackets = new()
    {
        ChunkSize = 512,
        PacketSize = 2048,
        Window = 4,
        ReadTimeout = TimeSpan.FromSeconds(20),
    };

    /// <summary>Packets and chunks of a realistic size, for blocks of megabytes.</summary>
    public static readonly BlockTransferOptions LargePackets = new()
    {
        ChunkSize = 4096,
        PacketSize = 64 * 1024,
        ReadTimeout = TimeSpan.FromSeconds(20),
    };

    private readonly string _root;
    private readonly BlockTransferOptions _transfer;
    private readonly BlockTokens? _tokens;
    private readonly List<BlockTransferServer?> _servers = [];

    private TestNodes(string root, BlockTransferOptions transfer, BlockTokens? tokens)
    {
        _root = root;
        _transfer = transfer;
        _tokens = tokens;
        Client = new BlockTransferClient(transfer);
    }

    public List<BlockStore> Stores { get; } = [];

    public BlockTransferClient Client { get; }

    public BlockTransferServer Server(int index) => _servers[index] ?? throw new InvalidOperationException($"node {index} is stopped");

    public string Address(int index) => Server(index).Address;

    public IReadOnlyList<string> Pipeline(params int[] nodes) => nodes.Select(Address).ToArray();

    /// <param name="transfer">The servers' and the client's options; default <see cref="SmallPackets"/>.</param>
    /// <param name="tokens">The servers' block token checks; default none (these tests are about the transfer mechanics).</param>
    public static TestNodes Start(int count, Func<int, BlockStoreOptions, BlockStoreOptions>? configure = null, BlockTransferOptions? transfer = null, BlockTokens? tokens = null)
    {
        var nodes = new TestNodes(Directory.CreateTempSubdirectory("colony-blocks-").FullName, transfer ?? SmallPackets, tokens);
        try
        {
            for (int i = 0; i < count; i++)
            {
                var options = new BlockStoreOptions { Directory = Path.Combine(nodes._root, $"node{i}"), ReserveBytes = 0 };
                options = configure?.Invoke(i, options) ?? options;
                BlockStore store = BlockStore.Open(options);
                nodes.Stores.Add(store);
                nodes._servers.Add(BlockTransferServer.Start(store, new IPEndPoint(IPAddress.Loopback, 0), nodes._tokens, nodes._transfer));
            }
            return nodes;
        }
        catch
        {
            nodes.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    /// <summary>Kills node <paramref name="index"/>'s server (its store stays, as on a crashed node's disk).</summary>
    public async Task StopAsync(int index)
    {
        BlockTransferServer? server = _servers[index];
        _servers[index] = null;
        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }

    /// <summary>Starts a new server for node <paramref name="index"/>'s store.</summary>
    public void Restart(int index) =>
        _servers[index] = BlockTransferServer.Start(Stores[index], new IPEndPoint(IPAddress.Loopback, 0), _tokens, _transfer);

    public async Task<byte[]> ReadAsync(int node, BlockVersion version, long offset, long length)
    {
        using var destination = new MemoryStream();
        await Client.ReadBlockAsync(Address(node), version, offset, length, destination);
        return destination.ToArray();
    }

    public static byte[] Data(int length, int seed = 1)
    {
        byte[] data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        foreach (BlockTransferServer? server in _servers)
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }
        }
        Stores.ForEach(store => store.Dispose());
        try
        {
            System.IO.Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is not worth failing a test over.
        }
    }
}

/// <summary>A source that hands out its bytes up to a gate, then waits until the test opens it.</summary>
internal sealed class GatedStream(byte[] data, long gate) : Stream
{
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _position;

    public Task Reached => _reached.Task;

    public void Open() => _open.TrySetResult();

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => data.Length;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_position >= gate)
        {
            _reached.TrySetResult();
            await _open.Task.WaitAsync(cancellationToken);
        }
        long limit = _position < gate ? gate : data.Length;
        int count = (int)Math.Min(buffer.Length, limit - _position);
        data.AsMemory((int)_position, count).CopyTo(buffer);
        _position += count;
        return count;
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
