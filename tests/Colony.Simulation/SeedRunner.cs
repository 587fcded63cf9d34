namespace Colony.Simulation;

/// <summary>
/// Runs a range of seeds on several threads (each seed is independent and deterministic) and hands
/// the results back in seed order, so the output does not depend on scheduling.
/// </summary>
internal static class SeedRunner
{
    public static void Run(
        ulong start, int count, int workers, Func<ulong, SimulationConfig> configure, Action<SimulationResult> inOrder)
    {
        var results = new SimulationResult?[count];
        int next = -1;
        var gate = new object();
        var threads = Enumerable.Range(0, Math.Max(1, workers)).Select(_ => new Thread(() =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < count)
            {
                var result = Simulator.Run(configure(start + (ulong)index));
                lock (gate)
                {
                    results[index] = result;
                    Monitor.PulseAll(gate);
                }
            }
        }, maxStackSize: 16 << 20) { IsBackground = true }).ToList();
        threads.ForEach(thread => thread.Start());
        for (int i = 0; i < count; i++)
        {
            SimulationResult result;
            lock (gate)
            {
                while (results[i] is null)
                {
                    Monitor.Wait(gate);
                }
                result = results[i]!;
                results[i] = null;
            }
            inOrder(result);
        }
        threads.ForEach(thread => thread.Join());
    }
}
