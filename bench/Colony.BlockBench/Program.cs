using System.Diagnostics;
using System.Globalization;
using System.Net;
using Colony.Client.Blocks;
using Colony.Core;
using Colony.Node.Blocks;

// Writes SIZE MiB as blocks of BLOCK MiB through an N-node pipeline of in-process data nodes (real files, fsync,
// loopback TCP), then reads every block back from a replica, verifying every chunk. Reports throughput and the
// process's CPU seconds per GiB of file data (client and all nodes together, since they share the process).
//   dotnet run -c Release --project bench/Colony.BlockBench -- [--size-mib 512] [--block-mib 64] [--nodes 3] [--packet-kib 256] [--write-behind-mib 8] [--dir PATH]
var settings = BenchSettings.Parse(args);
string root = settings.Directory ?? Directory.CreateTempSubdirectory("colony-blockbench-").FullName;
var transfer = new BlockTransferOptions { PacketSize = settings.PacketKiB * 1024 };
var stores = new List<BlockStore>();
var servers = new List<BlockTransferServer>();
try
{
    for (int i = 0; i < settings.Nodes; i++)
    {
        var store = BlockStore.Open(new BlockStoreOptions { Directory = Path.Combine(root, $"node{i}"), WriteBehindBytes = (long)settings.WriteBehindMiB << 20 });
        stores.Add(store);
        servers.Add(BlockTransferServer.Start(store, new IPEndPoint(IPAddress.Loopback, 0), tokens: null, transfer));
    }
    var client = new BlockTransferClient(transfer);
    byte[] block = new byte[settings.BlockMiB << 20];
    new Random(42).NextBytes(block);
    uint expectedCrc = Crc32C.Compute(block);
    int blocks = settings.SizeMiB / settings.BlockMiB;
    double gib = (double)blocks * block.Length / (1L << 30);

    // Warm up the JIT and the sockets with one small block, outside the measurement.
    await client.WriteBlockAsync(servers.Select(s => s.Address).ToArray(), new BlockVersion(new BlockId(999_999), new GenerationStamp(1)), new MemoryStream(block, 0, 1 << 20));

    var (writeSeconds, writeCpu) = await Measure(async () =>
    {
        for (int b = 0; b < blocks; b++)
        {
            string[] pipeline = Enumerable.Range(0, settings.Nodes).Select(i => servers[(b + i) % settings.Nodes].Address).ToArray();
            await client.WriteBlockAsync(pipeline, Version(b), new MemoryStream(block, writable: false));
        }
    });
    Report("write", settings, gib, writeSeconds, writeCpu);

    var sink = new CrcSink();
    var (readSeconds, readCpu) = await Measure(async () =>
    {
        for (int b = 0; b < blocks; b++)
        {
            sink.Reset();
            await client.ReadBlockAsync(servers[b % settings.Nodes].Address, Version(b), 0, block.Length, sink);
            if (sink.Crc != expectedCrc || sink.Length != block.Length)
            {
                throw new InvalidDataException($"block {b} read back wrong");
            }
        }
    });
    Report("read", settings, gib, readSeconds, readCpu);
}
finally
{
    foreach (BlockTransferServer server in servers)
    {
        await server.DisposeAsync();
    }
    stores.ForEach(store => store.Dispose());
    if (settings.Directory is null)
    {
        Directory.Delete(root, recursive: true);
    }
}

static BlockVersion Version(int block) => new(new BlockId((ulong)block + 1), new GenerationStamp(1));

static async Task<(double Seconds, double Cpu)> Measure(Func<Task> run)
{
    var process = Process.GetCurrentProcess();
    TimeSpan cpuBefore = process.TotalProcessorTime;
    long start = Stopwatch.GetTimestamp();
    await run();
    double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
    process.Refresh();
    return (seconds, (process.TotalProcessorTime - cpuBefore).TotalSeconds);
}

static void Report(string what, BenchSettings settings, double gib, double seconds, double cpu) =>
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{what,-5} {gib * 1024:F0} MiB, {settings.Nodes} replicas, packets of {settings.PacketKiB} KiB: {gib * 1024 / seconds:F1} MiB/s, {cpu:F2} CPU s = {cpu / gib:F2} CPU s/GiB"));

internal sealed record BenchSettings(int SizeMiB, int BlockMiB, int Nodes, int PacketKiB, string? Directory, int WriteBehindMiB = 8)
{
    public static BenchSettings Parse(string[] args)
    {
        var settings = new BenchSettings(512, 64, 3, 256, null);
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            settings = args[i] switch
            {
                "--size-mib" => settings with { SizeMiB = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                "--block-mib" => settings with { BlockMiB = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                "--nodes" => settings with { Nodes = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                "--packet-kib" => settings with { PacketKiB = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                "--write-behind-mib" => settings with { WriteBehindMiB = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                "--dir" => settings with { Directory = args[i + 1] },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }
        return settings;
    }
}

/// <summary>Swallows what is read, keeping only its CRC, so the read side measures the transfer and not a copy.</summary>
internal sealed class CrcSink : Stream
{
    public uint Crc { get; private set; }

    public override long Length => _length;

    private long _length;

    public void Reset()
    {
        Crc = 0;
        _length = 0;
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Crc = Crc32C.Append(Crc, buffer);
        _length += buffer.Length;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Position
    {
        get => _length;
        set => throw new NotSupportedException();
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
