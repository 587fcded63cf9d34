namespace Colony.Node.Diagnostics;

/// <summary>This process's open file descriptors and their limit, as Linux's /proc shows them; null elsewhere.</summary>
internal static class FileDescriptors
{
    /// <summary>How many descriptors are open now.</summary>
    public static long? Count()
    {
        try
        {
            return Directory.Exists("/proc/self/fd") ? Directory.EnumerateFileSystemEntries("/proc/self/fd").LongCount() : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The soft limit on open descriptors ("Max open files"), or null if unlimited or unknown.</summary>
    public static long? Limit()
    {
        try
        {
            return File.Exists("/proc/self/limits") ? ParseLimit(File.ReadLines("/proc/self/limits")) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The soft limit from the lines of /proc/PID/limits: "Max open files  1024  524288  files".</summary>
    internal static long? ParseLimit(IEnumerable<string> lines)
    {
        const string Name = "Max open files";
        foreach (string line in lines)
        {
            if (line.StartsWith(Name, StringComparison.Ordinal))
            {
                string[] fields = line[Name.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return fields.Length > 0 && long.TryParse(fields[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long soft) ? soft : null;
            }
        }
        return null;
    }
}
