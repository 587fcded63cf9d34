namespace Colony.Client.FileSystem;

/// <summary>
/// The cluster refused a file-system call. <see cref="Error"/> is the namespace's error name (NotFound,
/// AlreadyExists, LeaseConflict, …) or a short title; <see cref="StatusCode"/> the HTTP status.
/// </summary>
public sealed class FsException(int statusCode, string error, string message) : IOException(message)
{
    public int StatusCode { get; } = statusCode;

    public string Error { get; } = error;

    public bool IsNotFound => StatusCode == 404;
}
