using System.Diagnostics;
using System.Text;
using Colony.Client;
using Colony.Coordination;
using Colony.FaultTests.Bed;
using Colony.Testing.Linearizability;

namespace Colony.FaultTests.Workloads;

/// <summary>
/// Clients reading (sync + getData), writing (setData) and compare-and-setting (setData with the
/// version last seen) a few znodes through the .NET client, recording every call and reply with its
/// time as a history for the linearizability checker. A write with no reply stays pending: it may
/// have happened. A client whose write is pending continues under a new history id, as a new
/// process would, since its old operation may still take effect at any time.
/// </summary>
public sealed class RegisterWorkload(RegisterWorkloadOptions options)
{
    private readonly HistoryRecorder<RegisterInput, RegisterOutput> _recorder = new();
    private readonly List<SequentialCreate> _sequential = [];
    private readonly List<SessionObservation> _observations = [];
    private readonly Lock _gate = new();
    private readonly long _origin = Stopwatch.GetTimestamp();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, int> _hostOfProcess = new();
    private int _nextProcess;

    public OperationCounts Counts { get; } = new();

    public RegisterWorkloadOptions Options => options;

    public IEnumerable<string> Paths => Enumerable.Range(0, options.Keys).Select(Path);

    public string Path(int key) => $"{options.Root}/k{key}";

    /// <summary>The parent of the sequential znodes the clients create.</summary>
    public string SequentialParent => $"{options.Root}/seq";

    /// <summary>The acknowledged sequential creates so far.</summary>
    public IReadOnlyList<SequentialCreate> SequentialCreates()
    {
        lock (_gate)
        {
            return [.. _sequential];
        }
    }

    /// <summary>Every answered read and acknowledged write, by session, for <see cref="SessionCheck"/>.</summary>
    public IReadOnlyList<SessionObservation> SessionObservations()
    {
        lock (_gate)
        {
            return [.. _observations];
        }
    }

    /// <summary>Creates the znodes, each holding <see cref="RegisterModel.InitialValue"/> at version 0.</summary>
    public async Task PrepareAsync(string connectString)
    {
        await using var client = await ZooKeeperClient.ConnectAsync(connectString);
        await client.CreateAsync(options.Root, null, Acl.OpenUnsafe);
        await client.CreateAsync(SequentialParent, null, Acl.OpenUnsafe);
        foreach (var path in Paths)
        {
            await client.CreateAsync(path, Encoding.UTF8.GetBytes(RegisterModel.InitialValue), Acl.OpenUnsafe);
        }
    }

    /// <summary>Runs every client until <paramref name="stop"/> is cancelled, each on one of <paramref name="hosts"/> in turn (none: in the root namespace).</summary>
    public Task RunAsync(string connectString, IReadOnlyList<ClientHost> hosts, CancellationToken stop) =>
        Task.WhenAll(Enumerable.Range(0, options.Clients).Select(i => Task.Run(() => ClientAsync(i, connectString, Clients.HostFor(hosts, i), stop))));

    /// <summary>The history so far, open operations as pending.</summary>
    public IReadOnlyList<Operation<RegisterInput, RegisterOutput>> History()
    {
        lock (_gate)
        {
            return _recorder.ToHistory();
        }
    }

    /// <summary>Records a read made after the run (e.g. through one node after the heal) as part of the history.</summary>
    public void RecordFinalRead(string path, RegisterOutput output, long callTime, long returnTime)
    {
        lock (_gate)
        {
            int handle = _recorder.Invoke(NewProcess(), new RegisterInput(RegisterOpKind.Read, path), callTime);
            _recorder.Complete(handle, output, returnTime);
        }
    }

    public long Now => Stopwatch.GetTimestamp() - _origin;

    /// <summary>The client host (its number) each history process ran on; processes of the root namespace are absent.</summary>
    public IReadOnlyDictionary<int, int> HostOfProcess => _hostOfProcess;

    private int NewProcess(ClientHost? host = null)
    {
        int process = Interlocked.Increment(ref _nextProcess);
        if (host is not null)
        {
            _hostOfProcess[process] = host.Number;
        }
        return process;
    }

    private async Task ClientAsync(int index, string connectString, ClientHost? host, CancellationToken stop)
    {
        var random = new Random(HashCode.Combine(options.Seed, index));
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var firstRead = new Dictionary<string, RegisterOutput>(StringComparer.Ordinal);
        var written = new Dictionary<string, int>(StringComparer.Ordinal);
        int process = NewProcess(host);
        int writes = 0;
        ZooKeeperClient? client = null;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                if (client is null || client.State is KeeperState.Expired or KeeperState.Closed or KeeperState.AuthFailed)
                {
                    if (client is not null)
                    {
                        await client.DisposeAsync();
                        client = null;
                    }
                    client = await Clients.TryConnectAsync(connectString, options.SessionTimeout, stop, host);
                    continue;
                }

                int roll = random.Next(100);
                if (roll < 10)
                {
                    await CreateSequentialAsync(client, stop);
                    continue;
                }
                string path = Path(random.Next(options.Keys));
                if (roll < 25)
                {
                    await PlainReadAsync(client, path, stop);
                    continue;
                }
                var input = roll < 45 ? new RegisterInput(RegisterOpKind.Read, path)
                    : roll < 65 ? new RegisterInput(RegisterOpKind.Write, path, $"{index}-{++writes}")
                    : new RegisterInput(RegisterOpKind.CompareAndSet, path, $"{index}-{++writes}", seen.GetValueOrDefault(path));
                int handle;
                long call;
                lock (_gate)
                {
                    call = Now;
                    handle = _recorder.Invoke(process, input, call);
                }
                try
                {
                    long session = client.SessionId;
                    var (output, zxid) = await ExecuteAsync(client, input).WaitAsync(options.OperationTimeout, stop);
                    if (input.Kind == RegisterOpKind.Read)
                    {
                        firstRead.TryAdd(path, output);
                        if (options.InjectStaleReads && written.GetValueOrDefault(path) > firstRead[path].Version)
                        {
                            output = firstRead[path];
                        }
                    }
                    else if (output.Ok)
                    {
                        written[path] = output.Version;
                    }
                    if (output.Ok)
                    {
                        seen[path] = output.Version;
                    }
                    lock (_gate)
                    {
                        long returned = Now;
                        _recorder.Complete(handle, output, returned);
                        if (!options.InjectStaleReads)
                        {
                            _observations.Add(new SessionObservation(session,
                                input.Kind == RegisterOpKind.Read ? ObservationKind.SyncedRead : ObservationKind.Write,
                                path, output.Version, zxid, call, returned));
                        }
                    }
                    Counts.AddOk();
                }
                catch (BadVersionException)
                {
                    lock (_gate)
                    {
                        _recorder.Complete(handle, new RegisterOutput(false, null, 0), Now);
                    }
                    Counts.AddOk();
                }
                catch (Exception e) when (e is ZooKeeperException or TimeoutException or OperationCanceledException or IOException)
                {
                    if (input.Kind == RegisterOpKind.Read)
                    {
                        // A read changes nothing: if it failed, it is as if it never was.
                        lock (_gate)
                        {
                            _recorder.Discard(handle);
                        }
                        Counts.AddFailed();
                    }
                    else
                    {
                        Counts.AddIndeterminate();
                        process = NewProcess(host);
                    }
                    if (e is SessionExpiredException or ClientClosedException)
                    {
                        await client.DisposeAsync();
                        client = null;
                    }
                }
                await Task.Delay(options.Pace, CancellationToken.None); // pacing the load, not synchronisation
            }
        }
        finally
        {
            if (client is not null)
            {
                await client.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// getData with no sync: ZooKeeper does not promise these are linearizable, so they stay out of
    /// the register's history and are checked per session instead (<see cref="SessionCheck"/>).
    /// </summary>
    private async Task PlainReadAsync(ZooKeeperClient client, string path, CancellationToken stop)
    {
        long session = client.SessionId;
        long call = Now;
        try
        {
            var (_, stat) = await client.GetDataAsync(path).WaitAsync(options.OperationTimeout, stop);
            lock (_gate)
            {
                _observations.Add(new SessionObservation(session, ObservationKind.PlainRead, path, stat.Version, stat.Mzxid, call, Now));
            }
            Counts.AddOk();
        }
        catch (Exception e) when (e is ZooKeeperException or TimeoutException or OperationCanceledException or IOException)
        {
            Counts.AddFailed();
        }
        await Task.Delay(options.Pace, CancellationToken.None); // pacing the load, not synchronisation
    }

    /// <summary>Creates a sequential znode; only an acknowledged create is recorded (an unknown one may or may not hold a number).</summary>
    private async Task CreateSequentialAsync(ZooKeeperClient client, CancellationToken stop)
    {
        long call = Now;
        try
        {
            string created = await client.CreateAsync($"{SequentialParent}/n-", null, Acl.OpenUnsafe, CreateMode.PersistentSequential)
                .WaitAsync(options.OperationTimeout, stop);
            long returned = Now;
            long sequence = long.Parse(created.AsSpan(created.Length - 10), System.Globalization.CultureInfo.InvariantCulture);
            lock (_gate)
            {
                _sequential.Add(new SequentialCreate(call, returned, sequence));
            }
            Counts.AddOk();
        }
        catch (Exception e) when (e is ZooKeeperException or TimeoutException or OperationCanceledException or IOException)
        {
            Counts.AddIndeterminate();
        }
        await Task.Delay(options.Pace, CancellationToken.None); // pacing the load, not synchronisation
    }

    /// <summary>Runs the operation; returns what the client saw and the zxid of the version it read or made.</summary>
    private static async Task<(RegisterOutput Output, long Zxid)> ExecuteAsync(ZooKeeperClient client, RegisterInput input)
    {
        switch (input.Kind)
        {
            case RegisterOpKind.Read:
                // Reads are served by the node the client is on; sync first makes them linearizable.
                await client.SyncAsync(input.Key);
                var (data, stat) = await client.GetDataAsync(input.Key);
                return (new RegisterOutput(true, Encoding.UTF8.GetString(data), stat.Version), stat.Mzxid);
            case RegisterOpKind.Write:
                var written = await client.SetDataAsync(input.Key, Encoding.UTF8.GetBytes(input.Value!));
                return (new RegisterOutput(true, null, written.Version), written.Mzxid);
            default:
                var after = await client.SetDataAsync(input.Key, Encoding.UTF8.GetBytes(input.Value!), input.ExpectedVersion);
                return (new RegisterOutput(true, null, after.Version), after.Mzxid);
        }
    }
}
