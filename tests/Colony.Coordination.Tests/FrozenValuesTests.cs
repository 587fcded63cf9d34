namespace Colony.Coordination.Tests;

/// <summary>These numbers are ZooKeeper's wire protocol: a change breaks every client.</summary>
public sealed class FrozenValuesTests
{
    [Theory]
    [InlineData(ErrorCode.Ok, 0)]
    [InlineData(ErrorCode.SystemError, -1)]
    [InlineData(ErrorCode.ConnectionLoss, -4)]
    [InlineData(ErrorCode.MarshallingError, -5)]
    [InlineData(ErrorCode.Unimplemented, -6)]
    [InlineData(ErrorCode.BadArguments, -8)]
    [InlineData(ErrorCode.UnknownSession, -12)]
    [InlineData(ErrorCode.ApiError, -100)]
    [InlineData(ErrorCode.NoNode, -101)]
    [InlineData(ErrorCode.NoAuth, -102)]
    [InlineData(ErrorCode.BadVersion, -103)]
    [InlineData(ErrorCode.NoChildrenForEphemerals, -108)]
    [InlineData(ErrorCode.NodeExists, -110)]
    [InlineData(ErrorCode.NotEmpty, -111)]
    [InlineData(ErrorCode.SessionExpired, -112)]
    [InlineData(ErrorCode.InvalidAcl, -114)]
    [InlineData(ErrorCode.AuthFailed, -115)]
    [InlineData(ErrorCode.SessionMoved, -118)]
    [InlineData(ErrorCode.NotReadOnly, -119)]
    [InlineData(ErrorCode.NoWatcher, -121)]
    [InlineData(ErrorCode.RequestTimeout, -122)]
    [InlineData(ErrorCode.ReconfigDisabled, -123)]
    [InlineData(ErrorCode.QuotaExceeded, -125)]
    [InlineData(ErrorCode.Throttled, -127)]
    public void Error_codes(ErrorCode code, int value) => Assert.Equal(value, (int)code);

    [Theory]
    [InlineData(OpCode.Notification, 0)]
    [InlineData(OpCode.Create, 1)]
    [InlineData(OpCode.Delete, 2)]
    [InlineData(OpCode.Exists, 3)]
    [InlineData(OpCode.GetData, 4)]
    [InlineData(OpCode.SetData, 5)]
    [InlineData(OpCode.GetAcl, 6)]
    [InlineData(OpCode.SetAcl, 7)]
    [InlineData(OpCode.GetChildren, 8)]
    [InlineData(OpCode.Sync, 9)]
    [InlineData(OpCode.Ping, 11)]
    [InlineData(OpCode.GetChildren2, 12)]
    [InlineData(OpCode.Check, 13)]
    [InlineData(OpCode.Multi, 14)]
    [InlineData(OpCode.Create2, 15)]
    [InlineData(OpCode.Reconfig, 16)]
    [InlineData(OpCode.CheckWatches, 17)]
    [InlineData(OpCode.RemoveWatches, 18)]
    [InlineData(OpCode.CreateContainer, 19)]
    [InlineData(OpCode.DeleteContainer, 20)]
    [InlineData(OpCode.CreateTtl, 21)]
    [InlineData(OpCode.MultiRead, 22)]
    [InlineData(OpCode.Auth, 100)]
    [InlineData(OpCode.SetWatches, 101)]
    [InlineData(OpCode.Sasl, 102)]
    [InlineData(OpCode.GetEphemerals, 103)]
    [InlineData(OpCode.GetAllChildrenNumber, 104)]
    [InlineData(OpCode.SetWatches2, 105)]
    [InlineData(OpCode.AddWatch, 106)]
    [InlineData(OpCode.WhoAmI, 107)]
    [InlineData(OpCode.CreateSession, -10)]
    [InlineData(OpCode.CloseSession, -11)]
    [InlineData(OpCode.Error, -1)]
    public void Op_codes(OpCode code, int value) => Assert.Equal(value, (int)code);

    [Theory]
    [InlineData(CreateMode.Persistent, 0)]
    [InlineData(CreateMode.Ephemeral, 1)]
    [InlineData(CreateMode.PersistentSequential, 2)]
    [InlineData(CreateMode.EphemeralSequential, 3)]
    [InlineData(CreateMode.Container, 4)]
    [InlineData(CreateMode.PersistentWithTtl, 5)]
    [InlineData(CreateMode.PersistentSequentialWithTtl, 6)]
    public void Create_modes(CreateMode mode, int value) => Assert.Equal(value, (int)mode);

    [Theory]
    [InlineData(EventType.None, -1)]
    [InlineData(EventType.NodeCreated, 1)]
    [InlineData(EventType.NodeDeleted, 2)]
    [InlineData(EventType.NodeDataChanged, 3)]
    [InlineData(EventType.NodeChildrenChanged, 4)]
    [InlineData(EventType.DataWatchRemoved, 5)]
    [InlineData(EventType.ChildWatchRemoved, 6)]
    [InlineData(EventType.PersistentWatchRemoved, 7)]
    public void Event_types(EventType type, int value) => Assert.Equal(value, (int)type);

    [Theory]
    [InlineData(KeeperState.Disconnected, 0)]
    [InlineData(KeeperState.SyncConnected, 3)]
    [InlineData(KeeperState.AuthFailed, 4)]
    [InlineData(KeeperState.ConnectedReadOnly, 5)]
    [InlineData(KeeperState.Expired, -112)]
    public void Keeper_states(KeeperState state, int value) => Assert.Equal(value, (int)state);

    [Fact]
    public void Permission_bits()
    {
        Assert.Equal(1, (int)Perms.Read);
        Assert.Equal(2, (int)Perms.Write);
        Assert.Equal(4, (int)Perms.Create);
        Assert.Equal(8, (int)Perms.Delete);
        Assert.Equal(16, (int)Perms.Admin);
        Assert.Equal(31, (int)Perms.All);
    }
}
