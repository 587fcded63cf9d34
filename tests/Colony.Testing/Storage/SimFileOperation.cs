namespace Colony.Testing.Storage;

/// <summary>The operations of a <see cref="SimFileSystem"/> that a test can make fail.</summary>
public enum SimFileOperation : byte
{
    Create = 1,
    Write = 2,
    SetLength = 3,
    SyncFile = 4,
    Delete = 5,
    Rename = 6,
    SyncDirectory = 7,
}
