namespace Colony.Consensus.Storage;

/// <summary>
/// The log store hit an I/O error (a full disk, a failed write or fsync). What reached the disk is
/// unknown from then on, so the store refuses every further call (fail-stop); restarting the node and
/// loading again recovers whatever was durable.
/// </summary>
public sealed class LogStoreFailedException(string message, Exception innerException) : IOException(message, innerException);
