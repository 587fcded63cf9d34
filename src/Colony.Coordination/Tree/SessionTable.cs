using System.Security.Cryptography;

namespace Colony.Coordination.Tree;

/// <summary>A replicated session: its negotiated timeout and password, and how many ephemerals it owns.</summary>
public sealed record SessionInfo(long SessionId, int TimeoutMs, ReadOnlyMemory<byte> Password, int EphemeralCount);

/// <summary>The replicated sessions and the ephemerals each owns. Ordered, so iteration is deterministic.</summary>
internal sealed class SessionTable
{
    private readonly SortedDictionary<long, Session> _sessions = [];

    public int Count => _sessions.Count;

    public bool Contains(long sessionId) => _sessions.ContainsKey(sessionId);

    public bool TryAdd(long sessionId, int timeoutMs, byte[] password) =>
        _sessions.TryAdd(sessionId, new Session(timeoutMs, password));

    /// <summary>Takes a session with its ephemerals from another table (restore).</summary>
    public void Adopt(long sessionId, Session session) => _sessions.Add(sessionId, session);

    public bool TryGet(long sessionId, out Session session) => _sessions.TryGetValue(sessionId, out session!);

    public bool Remove(long sessionId) => _sessions.Remove(sessionId);

    public void Clear() => _sessions.Clear();

    public IEnumerable<KeyValuePair<long, Session>> All => _sessions;

    public int EphemeralCount => _sessions.Values.Sum(s => s.Ephemerals.Count);

    public bool CheckPassword(long sessionId, ReadOnlySpan<byte> password) =>
        _sessions.TryGetValue(sessionId, out var session)
        && CryptographicOperations.FixedTimeEquals(session.Password, password);

    public static SessionInfo Describe(long id, Session session) =>
        new(id, session.TimeoutMs, session.Password, session.Ephemerals.Count);

    internal sealed class Session(int timeoutMs, byte[] password)
    {
        public int TimeoutMs { get; } = timeoutMs;

        public byte[] Password { get; } = password;

        /// <summary>The paths of the session's ephemerals, ordinal-sorted so a close deletes them in a fixed order.</summary>
        public SortedSet<string> Ephemerals { get; } = new(StringComparer.Ordinal);
    }
}
