namespace Colony.Compute;

/// <summary>Marks the assembly; the Jobs module, splits and scheduler live in sub-namespaces.</summary>
internal static class ComputeAssembly;
