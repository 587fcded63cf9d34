using System.Security.Cryptography;

namespace Colony.Coordination.Tree;

/// <summary>
/// A replicated session: its negotiated timeout and password, how many ephemerals it owns, and the
/// node its client is connected to (<see cref="NoOwner"/> if unknown).
/// </summary>
public sealed record SessionInfo(long SessionId, int TimeoutMs, ReadOnlyMemory<byte> Password, int EphemeralCount, ulong Owner)
{
    /// <summary>The owner of a session restored from a snapshot that predates owners: any node may act for it.</summary>
    public const ulong NoOwner = 0;

    /// <summary>True if writes proposed by <paramref name="node"/> may act for this session.</summary>
    public bool IsOwnedBy(ulong node) => Owner == NoOwner || Owner == node;
}

/// <summary>The replicated sessions and the ephemerals each owns. Ordered, so iteration is deterministic.</summary>
internal sealed class SessionTable
{
    private readonly SortedDictionary<long, Session> _sessions = [];

    public int Count => _sessions.Count;

    public bool Contains(long sessionId) => _sessions.ContainsKey(sessionId);

    public bool TryAdd(long sessionId, int timeoutMs, byte[] password, ulong owner) =>
        _sessions.TryAdd(sessionId, new Session(timeoutMs, password) { Owner = owner });

    /// <summary>Takes a session with its ephemerals from another table (restore).</summary>
    public void Adopt(long sessionId, Session session) => _sessions.Add(sessionId, session);

    public bool TryGet(long sessionId, out Session session) => _sessions.TryGetValue(sessionId, out session!);

    public bool Remove(long sessionId) => _sessions.Remove(sessionId);

    public void Clear() => _sessions.Clear();

    public IEnumerable<KeyValuePair<long, Session>> All => _sessions;

    public int EphemeralCount => _sessions.Values.Sum(s => s.Ephemerals.Count);

    public bool CheckPassword(long sessionId, ReadOnlySpan<byte> password) =>
        _sessions.TryGetValue(sessionId, out var session) && session.HasPassword(password);

    public static SessionInfo Describe(long id, Session session) =>
        new(id, session.TimeoutMs, session.Password, session.Ephemerals.Count, session.Owner);

    internal sealed class Session(int timeoutMs, byte[] password)
    {
        public int TimeoutMs { get; } = timeoutMs;

        public byte[] Password { get; } = password;

        /// <summary>
        /// The node the session's client is connected to: the origin of its CreateSession or of its
        /// last MoveSession. Writes proposed by any other node fail with SessionMoved.
        /// </summary>
        public ulong Owner { get; set; }

        /// <summary>True if writes proposed by <paramref name="node"/> may act for this session.</summary>
        public bool IsOwnedBy(ulong node) => Owner == SessionInfo.NoOwner || Owner == node;

        /// <summary>Compared in constant time, so timing does not reveal how much of a guess was right.</summary>
        public bool HasPassword(ReadOnlySpan<byte> password) => CryptographicOperations.FixedTimeEquals(Password, password);

        /// <summary>The paths of the session's ephemerals, ordinal-sorted so a close deletes them in a fixed order.</summary>
        public SortedSet<string> Ephemerals { get; } = new(StringComparer.Ordinal);
    }
}
