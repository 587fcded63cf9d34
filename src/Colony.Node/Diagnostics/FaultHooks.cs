using Colony.Consensus.Storage;

namespace Colony.Node.Diagnostics;

/// <summary>
/// Faults a running node can be told to inject, for the fault campaign only: a delay before every
/// fsync of its write-ahead log, snapshots and block replicas (a slow disk), and an offset on its wall clock (a clock
/// step, as NTP makes). They exist only when the process starts with <see cref="Variable"/> set to
/// <see cref="EnableValue"/>: no configuration file, flag or request can create them, and without them
/// the node has no control endpoint and uses the system's clock and files directly.
/// </summary>
public sealed class FaultHooks
{
    /// <summary>The environment variable that enables the hooks; read once, at start-up.</summary>
    public const string Variable = "COLONY_TEST_HOOKS";

    /// <summary>The one value that enables them: a value no one sets by accident.</summary>
    public const string EnableValue = "enable-fault-injection";

    /// <summary>The longest fsync delay accepted: beyond it, a node is down, not slow.</summary>
    public static readonly TimeSpan MaxFsyncDelay = TimeSpan.FromSeconds(10);

    /// <summary>The largest clock offset accepted, either way.</summary>
    public static readonly TimeSpan MaxClockOffset = TimeSpan.FromDays(1);

    private readonly Action<TimeSpan> _sleep;
    private long _fsyncDelayTicks;
    private long _clockOffsetTicks;

    /// <param name="sleep">How a delayed fsync waits: <see cref="Thread.Sleep(TimeSpan)"/>, or a recorder in tests.</param>
    internal FaultHooks(Action<TimeSpan> sleep)
    {
        _sleep = sleep;
        Clock = new OffsetClock(this);
    }

    /// <summary>The hooks if this process was started with them enabled, else null.</summary>
    public static FaultHooks? FromEnvironment() => FromVariable(Environment.GetEnvironmentVariable(Variable));

    /// <summary>
    /// Hooks for the variable's <paramref name="value"/>: null when unset or empty; any value but
    /// <see cref="EnableValue"/> stops the node, so that a half-meant setting is never silently ignored.
    /// </summary>
    public static FaultHooks? FromVariable(string? value) => value switch
    {
        null or "" => null,
        EnableValue => new FaultHooks(Thread.Sleep),
        _ => throw new InvalidOperationException($"{Variable} is set to '{value}': it enables test-only fault injection and must be unset, or exactly '{EnableValue}' in a test bed"),
    };

    /// <summary>How long each fsync waits before it starts; zero when the disk is not slowed.</summary>
    public TimeSpan FsyncDelay
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _fsyncDelayTicks));
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, MaxFsyncDelay);
            Interlocked.Exchange(ref _fsyncDelayTicks, value.Ticks);
        }
    }

    /// <summary>What <see cref="Clock"/> adds to the system's wall clock; negative sets it back.</summary>
    public TimeSpan ClockOffset
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _clockOffsetTicks));
        set
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value.Duration(), MaxClockOffset);
            Interlocked.Exchange(ref _clockOffsetTicks, value.Ticks);
        }
    }

    /// <summary>
    /// The node's clock: the system's, with <see cref="ClockOffset"/> added to the wall clock only.
    /// Timestamps and timers stay monotonic, as a real clock step leaves them.
    /// </summary>
    public TimeProvider Clock { get; }

    /// <summary>Wraps <paramref name="inner"/> so that every file and directory fsync first waits <see cref="FsyncDelay"/>.</summary>
    public IFileSystem SlowSyncs(IFileSystem inner) => new SlowSyncFileSystem(inner, this);

    /// <summary>
    /// Waits <see cref="FsyncDelay"/> before an fsync, on the caller's thread, as a slow device would hold it: the
    /// write-ahead log's (through <see cref="SlowSyncs"/>) on the replica thread, a block replica's on its pipeline's.
    /// </summary>
    internal void DelaySync()
    {
        var delay = FsyncDelay;
        if (delay > TimeSpan.Zero)
        {
            _sleep(delay);
        }
    }

    private sealed class OffsetClock(FaultHooks hooks) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => TimeProvider.System.GetUtcNow() + hooks.ClockOffset;
    }

    private sealed class SlowSyncFileSystem(IFileSystem inner, FaultHooks hooks) : IFileSystem
    {
        public void CreateDirectory(string path) => inner.CreateDirectory(path);

        public IReadOnlyList<string> ListFiles(string directory) => inner.ListFiles(directory);

        public IStorageFile Open(string path, FileOpenMode mode) => new SlowSyncFile(inner.Open(path, mode), hooks);

        public void Delete(string path) => inner.Delete(path);

        public void Rename(string source, string destination) => inner.Rename(source, destination);

        public void SyncDirectory(string directory)
        {
            hooks.DelaySync();
            inner.SyncDirectory(directory);
        }
    }

    private sealed class SlowSyncFile(IStorageFile inner, FaultHooks hooks) : IStorageFile
    {
        public string Path => inner.Path;

        public long Length => inner.Length;

        public int Read(long offset, Span<byte> destination) => inner.Read(offset, destination);

        public void Write(long offset, ReadOnlySpan<byte> source) => inner.Write(offset, source);

        public void SetLength(long length) => inner.SetLength(length);

        public void Sync()
        {
            hooks.DelaySync();
            inner.Sync();
        }

        public void Dispose() => inner.Dispose();
    }
}
