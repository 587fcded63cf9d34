namespace Colony.Coordination.Commands;

/// <summary>
/// The kinds of coordination operation. Persisted in every log entry that carries one: never
/// renumber a kind, and never reuse a retired one. Zero is reserved.
/// </summary>
public enum OperationKind : byte
{
    Create = 1,
    Delete = 2,
    SetData = 3,
    SetAcl = 4,
    Check = 5,
    Multi = 6,
    CreateSession = 7,
    CloseSession = 8,
    TouchSessions = 9,
    DeleteContainer = 10,
    DeleteExpiredTtl = 11,
    Sync = 12,
    MoveSession = 13,
    SetConfig = 14,
}
