namespace Colony.Cli;

/// <summary>
/// Keeps two commands from changing one cluster at once (say, two <c>colony node start</c> that
/// would each rewrite cluster.json): an exclusive lock on the directory's <c>.lock</c> file, held
/// while the command runs and released when the process ends, however it ends.
/// </summary>
internal sealed class ClusterLock : IDisposable
{
    private readonly FileStream file;

    private ClusterLock(FileStream file) => this.file = file;

    public void Dispose() => file.Dispose();

    /// <param name="create">Create the directory (for a new cluster); otherwise a missing one means there is no cluster.</param>
    public static async Task<ClusterLock> AcquireAsync(ClusterLayout layout, bool create, TimeProvider time, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (create)
        {
            Directory.CreateDirectory(layout.Directory);
        }
        else if (!ClusterFile.Exists(layout))
        {
            throw ClusterFile.Missing(layout);
        }

        var deadline = time.GetTimestamp() + (long)(timeout.TotalSeconds * time.TimestampFrequency);
        while (true)
        {
            try
            {
                return new ClusterLock(new FileStream(layout.LockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (time.GetTimestamp() < deadline)
            {
                await Task.Delay(NodeProcesses.PollInterval, time, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException)
            {
                throw new CliError($"another colony command is changing the cluster in {layout.Directory}; try again when it is done");
            }
        }
    }
}
