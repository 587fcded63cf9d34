namespace Colony.Storage.Namespace;

/// <summary>
/// Why a namespace command failed. Persisted in nothing, but sent to clients: never renumber a value.
/// </summary>
public enum FsError : byte
{
    None = 0,
    NotFound = 1,
    AlreadyExists = 2,
    NotADirectory = 3,
    IsADirectory = 4,
    NotEmpty = 5,

    /// <summary>Another client holds the file's write lease; the message names it.</summary>
    LeaseConflict = 6,

    /// <summary>The caller does not hold the lease of the file it tried to write.</summary>
    LeaseMismatch = 7,
    InvalidPath = 8,
    FileNotUnderConstruction = 9,

    /// <summary>The block named is not the file's last block, or is in the wrong state for the operation.</summary>
    BlockMismatch = 10,

    /// <summary>A namespace limit (files, depth, blocks per file) would be exceeded.</summary>
    LimitExceeded = 11,

    /// <summary>An argument is out of range (replication, block size, the root, the trash).</summary>
    InvalidArgument = 12,
}
