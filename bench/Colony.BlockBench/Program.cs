using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Colony.Client.Blocks;
using Colony.Client.Security;
using Colony.Core;
using Colony.Node.Blocks;

// Writes SIZE MiB as blocks of BLOCK MiB through an N-node pipeline of in-process data nodes (real files, fsync,
// loopback TCP), then reads every block back from a replica, verifying every chunk. Reports throughput and the
// process's CPU seconds per GiB of file data (client and all nodes together, since they share the process).
// --tls 1 runs every connection inside mutual TLS, as a cluster made with `colony up --tls` does, with a CA made
// for the run.
//   dotnet run -c Release --project bench/Colony.BlockBench -- [--size-mib 512] [--block-mib 64] [--nodes 3] [--packet-kib 256] [--write-behind-mib 8] [--tls 0|1] [--warmup-mib 1] [--dir PATH]
var settings = BenchSettings.Parse(args);
string root = settings.Directory ?? Directory.CreateTempSubdirectory("colony-blockbench-").FullName;
var transfer = new BlockTransferOptions { PacketSize = settings.PacketKiB * 1024, Tls = settings.Tls ? BenchTrust.Create() : null };
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

    // Warm up the JIT and the sockets outside the measurement: one small block by default. A larger warm-up lets the
    // runtime finish optimizing the hot paths first (it recompiles them after they have run a while), so that the
    // figures are a long-running node's.
    var warmup = new BlockVersion(new BlockId(999_999), new GenerationStamp(1));
    int warmupBytes = Math.Min(settings.WarmupMiB << 20, block.Length);
    await client.WriteBlockAsync(servers.Select(s => s.Address).ToArray(), warmup, new MemoryStream(block, 0, warmupBytes));
    for (int i = 0; i < settings.Nodes && settings.WarmupMiB > 1; i++)
    {
        await client.ReadBlockAsync(servers[i].Address, warmup, 0, warmupBytes, new CrcSink());
    }

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
        $"{what,-5} {gib * 1024:F0} MiB, {settings.Nodes} replicas, packets of {settings.PacketKiB} KiB{(settings.Tls ? ", TLS" : "")}: {gib * 1024 / seconds:F1} MiB/s, {cpu:F2} CPU s = {cpu / gib:F2} CPU s/GiB"));

internal sealed record BenchSettings(int SizeMiB, int BlockMiB, int Nodes, int PacketKiB, string? Directory, int WriteBehindMiB = 8, bool Tls = false, int WarmupMiB = 1)
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
                "--warmup-mib" => settings with { WarmupMiB = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                "--tls" => settings with { Tls = args[i + 1] is "1" or "true" },
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

/// <summary>A CA made for one run and one certificate, signed by it, that every node and the client present.</summary>
internal static class BenchTrust
{
    public static ClusterTrust Create()
    {
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=blockbench CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        X509Certificate2 ca = caRequest.CreateSelfSigned(now, now.AddDays(1));

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=blockbench node", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        using X509Certificate2 issued = request.Create(ca, now, now.AddHours(23), RandomNumberGenerator.GetBytes(8));
        X509Certificate2 node = ClusterTrust.Exportable(issued.CopyWithPrivateKey(key));
        return new ClusterTrust(() => node, () => [ca]);
    }
}
