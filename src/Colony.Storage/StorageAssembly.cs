namespace Colony.Storage;

/// <summary>Marks the assembly; the namespace, placement and block-format types live in sub-namespaces.</summary>
internal static class StorageAssembly;
