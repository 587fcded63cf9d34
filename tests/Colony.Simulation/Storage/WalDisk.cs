using Colony.Consensus;
using Colony.Consensus.Storage;
using Colony.Core;
using Colony.Testing.Storage;

namespace Colony.Simulation.Storage;

/// <summary>
/// The production write-ahead log (<see cref="SegmentedLogStore"/>) on a simulated file system that
/// loses unsynced writes, and may tear the last one, when the node crashes.
/// </summary>
internal sealed class WalDisk(long segmentBytes, bool tornWrites) : ISimDisk
{
    private const string Directory = "/colony/raft";

    private readonly SimFileSystem _fileSystem = new() { TornWriteProbability = tornWrites ? 0.5 : 0 };
    private readonly LogStoreOptions _options = new() { SegmentBytes = segmentBytes, MaxBufferedBytes = 4 << 10 };

    public SimFileSystem FileSystem => _fileSystem;

    public IRaftLogStore Open() => new SegmentedLogStore(_fileSystem, Directory, _options);

    public void Crash(IRandomSource random) => _fileSystem.Crash(random);
}
