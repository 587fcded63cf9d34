using Colony.Testing;

namespace Colony.Compat.Tests;

/// <summary>
/// The reference Apache ZooKeeper as a compatibility target, started once per test class (an xUnit
/// class fixture) and killed with everything in it at the end.
/// </summary>
public abstract class ReferenceZooKeeperTarget : ICompatibilityTarget, IAsyncLifetime
{
    private readonly HashSet<int> _killed = [];
    private ReferenceZooKeeper? _zooKeeper;

    public ReferenceZooKeeper ZooKeeper => _zooKeeper ?? throw new InvalidOperationException("the reference ZooKeeper has not started");

    public string ConnectString => ZooKeeper.ConnectString;

    public bool HasFailover => !ZooKeeper.IsStandalone;

    protected abstract Task<ReferenceZooKeeper> StartAsync();

    public async Task InitializeAsync() => _zooKeeper = await StartAsync();

    public async Task DisposeAsync()
    {
        if (_zooKeeper is not null)
        {
            await _zooKeeper.DisposeAsync();
        }
    }

    public Task KillServerAtAsync(string clientAddress, CancellationToken cancellationToken)
    {
        var id = ZooKeeper.ServerIdOf(clientAddress)
            ?? throw new ArgumentException($"no reference server serves {clientAddress}", nameof(clientAddress));
        ZooKeeper.Kill(id);
        _killed.Add(id);
        return Task.CompletedTask;
    }

    public async Task RecoverAsync(CancellationToken cancellationToken)
    {
        foreach (var id in _killed.ToList())
        {
            await ZooKeeper.RestartAsync(id, cancellationToken);
            _killed.Remove(id);
        }
        await ZooKeeper.WaitUntilServingAsync(cancellationToken);
    }
}

/// <summary>A three-server reference ensemble.</summary>
public sealed class ReferenceEnsembleTarget : ReferenceZooKeeperTarget
{
    protected override Task<ReferenceZooKeeper> StartAsync() => ReferenceZooKeeper.StartEnsembleAsync(3);
}

/// <summary>One standalone reference server.</summary>
public sealed class ReferenceStandaloneTarget : ReferenceZooKeeperTarget
{
    protected override Task<ReferenceZooKeeper> StartAsync() => ReferenceZooKeeper.StartStandaloneAsync();
}
