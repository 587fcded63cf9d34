namespace Colony.Consensus.Storage;

/// <summary>How <see cref="IFileSystem.Open"/> finds or makes a file.</summary>
public enum FileOpenMode : byte
{
    /// <summary>Open an existing file for reading only.</summary>
    Read = 1,

    /// <summary>Open an existing file for reading and writing.</summary>
    ReadWrite = 2,

    /// <summary>Create a file for reading and writing; fail if it already exists.</summary>
    CreateNew = 3,

    /// <summary>Create a file for reading and writing, emptying it if it already exists.</summary>
    CreateOrTruncate = 4,
}
