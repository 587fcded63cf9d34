using Colony.Coordination;

namespace Colony.Client;

/// <summary>
/// A ZooKeeper operation failed with an error code. Catch a subclass for the codes callers
/// usually handle (<see cref="NoNodeException"/>, <see cref="NodeExistsException"/>, …), or this
/// type and <see cref="Code"/> for the rest.
/// </summary>
public class ZooKeeperException : Exception
{
    public ZooKeeperException(ErrorCode code, string? path = null)
        : base(Describe(code, path))
    {
        Code = code;
        Path = path;
    }

    public ZooKeeperException(ErrorCode code, string? path, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
        Path = path;
    }

    public ErrorCode Code { get; }

    /// <summary>The path the operation named, as the caller gave it; null when the error concerns no path.</summary>
    public string? Path { get; }

    /// <summary>The typed exception for <paramref name="code"/> (a plain <see cref="ZooKeeperException"/> for codes without a subclass).</summary>
    public static ZooKeeperException Create(ErrorCode code, string? path = null) => code switch
    {
        ErrorCode.Ok => throw new ArgumentException("Ok is not an error.", nameof(code)),
        ErrorCode.NoNode => new NoNodeException(path),
        ErrorCode.NodeExists => new NodeExistsException(path),
        ErrorCode.BadVersion => new BadVersionException(path),
        ErrorCode.NotEmpty => new NotEmptyException(path),
        ErrorCode.NoAuth => new NoAuthException(path),
        ErrorCode.InvalidAcl => new InvalidAclException(path),
        ErrorCode.NoChildrenForEphemerals => new NoChildrenForEphemeralsException(path),
        ErrorCode.SessionExpired => new SessionExpiredException(),
        ErrorCode.ConnectionLoss => new ConnectionLossException(),
        ErrorCode.OperationTimeout => new OperationTimeoutException(),
        ErrorCode.BadArguments => new BadArgumentsException(path),
        ErrorCode.Unimplemented => new UnimplementedException(path),
        ErrorCode.AuthFailed => new AuthFailedException(),
        ErrorCode.SessionMoved => new SessionMovedException(),
        ErrorCode.NotReadOnly => new NotReadOnlyException(path),
        ErrorCode.NoWatcher => new NoWatcherException(path),
        ErrorCode.EphemeralOnLocalSession => new EphemeralOnLocalSessionException(path),
        ErrorCode.RequestTimeout => new RequestTimeoutException(),
        ErrorCode.QuotaExceeded => new QuotaExceededException(path),
        ErrorCode.Throttled => new ThrottledException(),
        ErrorCode.ReconfigInProgress => new ReconfigInProgressException(),
        ErrorCode.ReconfigDisabled => new ReconfigDisabledException(),
        ErrorCode.NewConfigNoQuorum => new NewConfigNoQuorumException(),
        _ => new ZooKeeperException(code, path),
    };

    private static string Describe(ErrorCode code, string? path) =>
        path is null ? $"ZooKeeper error {code} ({(int)code})" : $"ZooKeeper error {code} ({(int)code}) for {path}";
}

/// <summary>Another reconfig is still running: try again once it has finished.</summary>
public sealed class ReconfigInProgressException() : ZooKeeperException(ErrorCode.ReconfigInProgress);

/// <summary>The server does not serve reconfig.</summary>
public sealed class ReconfigDisabledException() : ZooKeeperException(ErrorCode.ReconfigDisabled);

/// <summary>The new configuration could not be committed: its members are not up, or no leader took the change.</summary>
public sealed class NewConfigNoQuorumException() : ZooKeeperException(ErrorCode.NewConfigNoQuorum);

public sealed class NoNodeException(string? path = null) : ZooKeeperException(ErrorCode.NoNode, path);

public sealed class NodeExistsException(string? path = null) : ZooKeeperException(ErrorCode.NodeExists, path);

public sealed class BadVersionException(string? path = null) : ZooKeeperException(ErrorCode.BadVersion, path);

public sealed class NotEmptyException(string? path = null) : ZooKeeperException(ErrorCode.NotEmpty, path);

public sealed class NoAuthException(string? path = null) : ZooKeeperException(ErrorCode.NoAuth, path);

public sealed class InvalidAclException(string? path = null) : ZooKeeperException(ErrorCode.InvalidAcl, path);

public sealed class NoChildrenForEphemeralsException(string? path = null) : ZooKeeperException(ErrorCode.NoChildrenForEphemerals, path);

public sealed class BadArgumentsException(string? path = null) : ZooKeeperException(ErrorCode.BadArguments, path);

public sealed class UnimplementedException(string? path = null) : ZooKeeperException(ErrorCode.Unimplemented, path);

public sealed class NotReadOnlyException(string? path = null) : ZooKeeperException(ErrorCode.NotReadOnly, path);

public sealed class NoWatcherException(string? path = null) : ZooKeeperException(ErrorCode.NoWatcher, path);

public sealed class EphemeralOnLocalSessionException(string? path = null) : ZooKeeperException(ErrorCode.EphemeralOnLocalSession, path);

public sealed class QuotaExceededException(string? path = null) : ZooKeeperException(ErrorCode.QuotaExceeded, path);

/// <summary>The session is gone (timed out or closed); the client stops and every later call fails with this.</summary>
public sealed class SessionExpiredException() : ZooKeeperException(ErrorCode.SessionExpired);

/// <summary>
/// The connection dropped while the request was outstanding: it may or may not have been applied.
/// The client reconnects on its own; retry when the operation is idempotent.
/// </summary>
public sealed class ConnectionLossException : ZooKeeperException
{
    public ConnectionLossException()
        : base(ErrorCode.ConnectionLoss)
    {
    }

    public ConnectionLossException(string message, Exception? innerException = null)
        : base(ErrorCode.ConnectionLoss, null, message, innerException)
    {
    }
}

public sealed class OperationTimeoutException : ZooKeeperException
{
    public OperationTimeoutException()
        : base(ErrorCode.OperationTimeout)
    {
    }

    public OperationTimeoutException(string message)
        : base(ErrorCode.OperationTimeout, null, message)
    {
    }
}

/// <summary>The server rejected the session's credentials; the client stops.</summary>
public sealed class AuthFailedException() : ZooKeeperException(ErrorCode.AuthFailed);

public sealed class SessionMovedException() : ZooKeeperException(ErrorCode.SessionMoved);

public sealed class RequestTimeoutException() : ZooKeeperException(ErrorCode.RequestTimeout);

public sealed class ThrottledException() : ZooKeeperException(ErrorCode.Throttled);

/// <summary>
/// The client was closed (by <see cref="ZooKeeperClient.CloseAsync"/> or disposal) before the
/// operation completed.
/// </summary>
public sealed class ClientClosedException() : ZooKeeperException(ErrorCode.ConnectionLoss, null, "The ZooKeeper client is closed.");
