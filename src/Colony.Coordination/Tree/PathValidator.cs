namespace Colony.Coordination.Tree;

/// <summary>
/// ZooKeeper's rules for a znode path, character for character (UTF-16 code units, as ZooKeeper
/// checks them): absolute, no trailing '/', no empty, "." or ".." segment, and none of the characters
/// U+0000..U+001F, U+007F..U+009F, U+D800..U+F8FF, U+FFF0..U+FFFF.
/// </summary>
public static class PathValidator
{
    /// <summary>Null if <paramref name="path"/> is a valid znode path, otherwise why it is not.</summary>
    public static string? Validate(string? path)
    {
        if (path is null)
        {
            return "path is null";
        }
        if (path.Length == 0)
        {
            return "path is empty";
        }
        if (path[0] != '/')
        {
            return "path must start with '/'";
        }
        if (path.Length == 1)
        {
            return null;
        }
        if (path[^1] == '/')
        {
            return "path must not end with '/'";
        }
        for (int i = 1; i < path.Length; i++)
        {
            char c = path[i];
            char previous = path[i - 1];
            bool segmentEnds = i + 1 == path.Length || path[i + 1] == '/';
            if (c == '\0')
            {
                return $"null character at {i}";
            }
            if (c == '/' && previous == '/')
            {
                return $"empty segment at {i}";
            }
            if (c == '.' && segmentEnds && (previous == '/' || (previous == '.' && path[i - 2] == '/')))
            {
                return $"relative segment at {i}";
            }
            if (IsForbidden(c))
            {
                return $"invalid character U+{(int)c:X4} at {i}";
            }
        }
        return null;
    }

    /// <summary>True if <paramref name="path"/> is a valid znode path.</summary>
    public static bool IsValid(string? path) => Validate(path) is null;

    private static bool IsForbidden(char c) =>
        c is (> '\u0000' and <= '\u001f')
            or (>= '\u007f' and <= '\u009f')
            or (>= '\ud800' and <= '\uf8ff')
            or (>= '\ufff0' and <= '\uffff');

    /// <summary>The parent of a path with at least one '/': "" maps to the root.</summary>
    internal static string ParentOf(string path)
    {
        int slash = path.LastIndexOf('/');
        return slash <= 0 ? "/" : path[..slash];
    }

    /// <summary>The last segment of a path.</summary>
    internal static string NameOf(string path) => path[(path.LastIndexOf('/') + 1)..];
}
