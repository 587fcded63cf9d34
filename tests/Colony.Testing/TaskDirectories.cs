namespace Colony.Testing;

/// <summary>
/// A node whose tasks run as the task user keeps their work directory outside its data directory (a fresh
/// <c>colony-tasks-*</c> in the temporary folder) and names it in the data directory. The node removes it when it
/// stops, or at its next start after a kill; a harness that kills nodes and deletes their data directories
/// removes it itself first.
/// </summary>
public static class TaskDirectories
{
    /// <summary>The file in a node's data directory that names its task directory.</summary>
    private const string Record = "task-directory";

    /// <summary>
    /// Removes the task directories named in <paramref name="dataDir"/> (one a line), if any. Never throws. A killed
    /// node's executors may still be exiting and writing there, so a removal that fails is tried again, for a while.
    /// </summary>
    public static void RemoveRecorded(string dataDir)
    {
        string record = Path.Combine(dataDir, Record);
        string[] directories;
        try
        {
            directories = File.Exists(record) ? File.ReadAllLines(record) : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }
        foreach (string directory in directories.Select(d => d.Trim()).Where(d => Path.GetFileName(d).StartsWith("colony-tasks-", StringComparison.Ordinal)))
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (Directory.Exists(directory))
            {
                try
                {
                    Directory.Delete(directory, recursive: true);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    if (DateTime.UtcNow > deadline)
                    {
                        break;
                    }
                    Thread.Sleep(50); // a retry's pace, not a wait for an event: nothing signals the executors' exit here
                }
            }
        }
    }
}
