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

    /// <summary>Removes the task directory named in <paramref name="dataDir"/>, if any. Never throws.</summary>
    public static void RemoveRecorded(string dataDir)
    {
        try
        {
            string record = Path.Combine(dataDir, Record);
            if (!File.Exists(record))
            {
                return;
            }
            string directory = File.ReadAllText(record).Trim();
            if (Path.GetFileName(directory).StartsWith("colony-tasks-", StringComparison.Ordinal) && Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
