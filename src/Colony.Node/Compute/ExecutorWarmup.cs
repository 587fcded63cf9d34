using Colony.Client.MapReduce;

namespace Colony.Node.Compute;

/// <summary>
/// What a standby executor does while it waits for a job: it runs the engine on a small built-in word count,
/// so that by the time real tasks arrive the runtime has compiled, and recompiled with its profile, the paths
/// every job takes (reading lines, counting in place, sorting, spilling, merging, reducing). A job then
/// starts at full speed instead of paying that compilation inside its first tasks.
/// </summary>
internal static class ExecutorWarmup
{
    private const long CorpusBytes = 1L << 20;

    /// <summary>Small splits, so the per-buffer loops are entered often enough to be recompiled.</summary>
    private const long SplitBytes = 16L << 10;

    private const int Rounds = 3;

    /// <summary>
    /// Between rounds: the runtime starts counting calls to hot methods only once compiling has been quiet
    /// for a moment (100 ms by default), and recompiles them in the background after that.
    /// </summary>
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(250);

    public static async Task RunAsync(CancellationToken cancellationToken)
    {
        string scratch = Directory.CreateTempSubdirectory("colony-warmup-").FullName;
        try
        {
            string input = Path.Combine(scratch, "corpus.txt");
            var file = File.Create(input);
            await using (file.ConfigureAwait(false))
            {
                await ZipfCorpus.WriteAsync(file, CorpusBytes, seed: 7, vocabulary: 10_000, cancellationToken).ConfigureAwait(false);
            }
            var job = LoadedJob.FromJob(new WordCountJob());
            var runner = new LocalJobRunner { Parallelism = 1, Reducers = 2, SplitBytes = SplitBytes, SortBufferBytes = 1L << 20 };
            for (int round = 0; round < Rounds; round++)
            {
                await runner.RunAsync(job, [input], Path.Combine(scratch, $"out-{round}"), cancellationToken).ConfigureAwait(false);
                await Task.Delay(Pause, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            try
            {
                Directory.Delete(scratch, recursive: true);
            }
            catch (IOException)
            {
                // A temporary directory: the system cleans it up in time.
            }
        }
    }
}
