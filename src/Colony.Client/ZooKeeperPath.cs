namespace Colony.Client;

/// <summary>
/// ZooKeeper's path rules, checked before a request is sent so a bad path fails fast with an
/// <see cref="ArgumentException"/> instead of a round trip (the server applies the same rules).
/// </summary>
public static class ZooKeeperPath
{
    public const string Root = "/";

    /// <summary>
    /// Throws unless <paramref name="path"/> is absolute, has no empty, "." or ".." segment, no
    /// trailing slash and no control, surrogate, private-use or non-character code units.
    /// A sequential create's path may end with "/": the server appends the counter.
    /// </summary>
    public static void Validate(string path, bool sequential = false, string parameterName = "path")
    {
        ArgumentNullException.ThrowIfNull(path, parameterName);
        if (Problem(sequential ? path + "1" : path) is { } problem)
        {
            throw new ArgumentException($"Invalid path '{path}': {problem}.", parameterName);
        }
    }

    /// <summary>True when <see cref="Validate"/> would accept <paramref name="path"/>.</summary>
    public static bool IsValid(string? path) => path is not null && Problem(path) is null;

    /// <summary>The parent of a valid path ("/" for a top-level node); null for the root.</summary>
    public static string? Parent(string path)
    {
        if (path == Root)
        {
            return null;
        }
        int slash = path.LastIndexOf('/');
        return slash == 0 ? Root : path[..slash];
    }

    /// <summary>The last segment of a valid path ("" for the root).</summary>
    public static string Name(string path) => path[(path.LastIndexOf('/') + 1)..];

    /// <summary>Joins a parent path and a child name.</summary>
    public static string Combine(string parent, string child) => parent == Root ? Root + child : parent + "/" + child;

    private static string? Problem(string path)
    {
        if (path.Length == 0)
        {
            return "a path is not empty";
        }
        if (path[0] != '/')
        {
            return "a path starts with '/'";
        }
        if (path.Length == 1)
        {
            return null;
        }
        if (path[^1] == '/')
        {
            return "a path does not end with '/'";
        }
        for (int i = 1; i < path.Length; i++)
        {
            char c = path[i];
            char previous = path[i - 1];
            if (c == '\0')
            {
                return $"null character at {i}";
            }
            if (c == '/' && previous == '/')
            {
                return $"empty node name at {i}";
            }
            if (c == '.' && IsSegmentEnd(path, i + 1))
            {
                // "." or ".." as a whole segment.
                if (previous == '/' || (previous == '.' && i >= 2 && path[i - 2] == '/'))
                {
                    return $"relative segment at {i}";
                }
            }
            if (IsForbidden(c))
            {
                return $"invalid character U+{(int)c:X4} at {i}";
            }
        }
        return null;
    }

    private static bool IsSegmentEnd(string path, int index) => index == path.Length || path[index] == '/';

    private static bool IsForbidden(char c) =>
        c is (> '\u0000' and <= '\u001f') or (>= '\u007f' and <= '\u009f') or (>= '\ud800' and <= '\uf8ff') or >= '\ufff0';
}
