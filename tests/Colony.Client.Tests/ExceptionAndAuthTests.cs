using Colony.Coordination;

namespace Colony.Client.Tests;

public sealed class ZooKeeperExceptionTests
{
    public static TheoryData<ErrorCode, Type> TypedCodes => new()
    {
        { ErrorCode.NoNode, typeof(NoNodeException) },
        { ErrorCode.NodeExists, typeof(NodeExistsException) },
        { ErrorCode.BadVersion, typeof(BadVersionException) },
        { ErrorCode.NotEmpty, typeof(NotEmptyException) },
        { ErrorCode.NoAuth, typeof(NoAuthException) },
        { ErrorCode.InvalidAcl, typeof(InvalidAclException) },
        { ErrorCode.NoChildrenForEphemerals, typeof(NoChildrenForEphemeralsException) },
        { ErrorCode.SessionExpired, typeof(SessionExpiredException) },
        { ErrorCode.ConnectionLoss, typeof(ConnectionLossException) },
        { ErrorCode.OperationTimeout, typeof(OperationTimeoutException) },
        { ErrorCode.BadArguments, typeof(BadArgumentsException) },
        { ErrorCode.Unimplemented, typeof(UnimplementedException) },
        { ErrorCode.AuthFailed, typeof(AuthFailedException) },
        { ErrorCode.SessionMoved, typeof(SessionMovedException) },
        { ErrorCode.NotReadOnly, typeof(NotReadOnlyException) },
        { ErrorCode.NoWatcher, typeof(NoWatcherException) },
        { ErrorCode.EphemeralOnLocalSession, typeof(EphemeralOnLocalSessionException) },
        { ErrorCode.RequestTimeout, typeof(RequestTimeoutException) },
        { ErrorCode.QuotaExceeded, typeof(QuotaExceededException) },
        { ErrorCode.Throttled, typeof(ThrottledException) },
        { ErrorCode.ReconfigInProgress, typeof(ReconfigInProgressException) },
        { ErrorCode.ReconfigDisabled, typeof(ReconfigDisabledException) },
        { ErrorCode.NewConfigNoQuorum, typeof(NewConfigNoQuorumException) },
    };

    [Theory]
    [MemberData(nameof(TypedCodes))]
    public void The_factory_maps_each_code_to_its_type(ErrorCode code, Type type)
    {
        ZooKeeperException error = ZooKeeperException.Create(code, "/p");

        Assert.IsType(type, error);
        Assert.Equal(code, error.Code);
    }

    [Fact]
    public void Codes_without_a_type_keep_their_code_and_path()
    {
        ZooKeeperException error = ZooKeeperException.Create(ErrorCode.UnknownSession, "/p");

        Assert.Equal(typeof(ZooKeeperException), error.GetType());
        Assert.Equal(ErrorCode.UnknownSession, error.Code);
        Assert.Equal("/p", error.Path);
        Assert.Contains("/p", error.Message, StringComparison.Ordinal);
        Assert.Contains("-12", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ok_is_not_an_error()
    {
        Assert.Throws<ArgumentException>(() => ZooKeeperException.Create(ErrorCode.Ok));
    }
}

public sealed class DigestAuthTests
{
    [Fact]
    public void The_digest_id_is_the_base64_sha1_of_user_and_password()
    {
        // ZooKeeper's documented example: super:test.
        Assert.Equal(new Id("digest", "super:D/InIHSb7yEEbrWz8b9l71RjZJU="), DigestAuth.Id("super", "test"));
        Assert.Equal("alice:pw"u8.ToArray(), DigestAuth.Credentials("alice", "pw"));
    }
}
