// TEMPORARY: a throwaway stand-in with the engine's API, so the node side can be exercised before the engine lands.
using System.Text;
namespace Colony.Client.MapReduce;
public static class JobSettings { public const string BuiltIn = "colony.job.builtin", GrepPattern = "colony.grep.pattern", AssemblyFile = "colony.job.assembly", JobType = "colony.job.type", StreamingMapper = "colony.streaming.mapper", StreamingReducer = "colony.streaming.reducer", StreamingCombiner = "colony.streaming.combiner", Step = "colony.job.step"; }
public interface ITaskReporter { void Progress(double fraction); }
public sealed class LoadedJob : IDisposable { public int StepCount => 1; public void Dispose() { }
  public Task<IReadOnlyDictionary<string, string>> PrepareAsync(JobPreparationContext context, CancellationToken ct) => Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string>()); }
public sealed class JobPreparationContext { public required IReadOnlyList<(string Path, long Length)> Inputs { get; init; } public int Reducers { get; init; } public required Func<string, CancellationToken, Task<Stream>> OpenInput { get; init; } public required IReadOnlyDictionary<string, string> Settings { get; init; } }
public static class JobLoader { public static LoadedJob Load(IReadOnlyDictionary<string, string> settings, string dir) => new(); }
public static class ZipfCorpus { public static async Task WriteAsync(Stream s, long bytes, int seed = 1, CancellationToken cancellationToken = default) { var r = new Random(seed); var sb = new StringBuilder(); long n = 0; while (n < bytes) { sb.Clear(); for (int i = 0; i < 10; i++) sb.Append("w").Append((int)(1 / (r.NextDouble() + 0.001))).Append(' '); sb.Append('\n'); var b = Encoding.ASCII.GetBytes(sb.ToString()); await s.WriteAsync(b, cancellationToken); n += b.Length; } } }
public sealed class MapTaskSpec { public required LoadedJob Job { get; init; } public required string TaskId { get; init; } public required Stream Input { get; init; } public required string InputPath { get; init; } public required long SplitStart { get; init; } public required long SplitLength { get; init; } public required int Reducers { get; init; } public required string WorkDirectory { get; init; } public Stream? MapOnlyOutput { get; init; } public long SortBufferBytes { get; init; } public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>(); }
public sealed class MapTaskResult { public string? OutputFile { get; init; } public string? IndexFile { get; init; } public IReadOnlyDictionary<string, long> Counters { get; init; } = new Dictionary<string, long>(); }
public sealed class ReduceTaskSpec { public required LoadedJob Job { get; init; } public required string TaskId { get; init; } public required int Partition { get; init; } public required IReadOnlyList<string> SegmentFiles { get; init; } public required Stream Output { get; init; } public required string WorkDirectory { get; init; } public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>(); }
public sealed class ReduceTaskResult { public IReadOnlyDictionary<string, long> Counters { get; init; } = new Dictionary<string, long>(); }
public static class MapOutputFile { public static IReadOnlyList<(long Offset, long Length)> ReadIndex(string f) { var l = File.ReadAllLines(f); return [.. l.Select(x => x.Split(' ')).Select(p => (long.Parse(p[0]), long.Parse(p[1])))]; } }
public static class MapTaskRunner {
  public static async Task<MapTaskResult> RunAsync(MapTaskSpec spec, ITaskReporter reporter, CancellationToken ct) {
    var input = spec.Input; long start = spec.SplitStart, end = spec.SplitStart + spec.SplitLength;
    input.Position = start > 0 ? start - 1 : 0; var all = new MemoryStream(); await input.CopyToAsync(all, ct); var bytes = all.ToArray(); int pos = 0;
    if (start > 0) { if (bytes[0] != (byte)'\n') { int nl = Array.IndexOf(bytes, (byte)'\n'); pos = nl < 0 ? bytes.Length : nl + 1; } else pos = 1; }
    var counts = new Dictionary<string, long>(StringComparer.Ordinal); long recStart = start > 0 ? start - 1 + pos : pos;
    while (pos < bytes.Length && (start > 0 ? start - 1 + pos : pos) < end) { int nl = Array.IndexOf(bytes, (byte)'\n', pos); int stop = nl < 0 ? bytes.Length : nl;
      foreach (var w in Encoding.Latin1.GetString(bytes, pos, stop - pos).Split([' ', '\t', '\r', '\v', '\f'], StringSplitOptions.RemoveEmptyEntries)) counts[w] = counts.GetValueOrDefault(w) + 1; pos = stop + 1; }
    var parts = Enumerable.Range(0, spec.Reducers).Select(_ => new StringBuilder()).ToArray();
    foreach (var kv in counts.OrderBy(k => k.Key, StringComparer.Ordinal)) parts[(int)(kv.Key.Aggregate(2166136261u, (h, c) => (h ^ c) * 16777619u) % (uint)spec.Reducers)].Append(kv.Key).Append('\t').Append(kv.Value).Append('\n');
    string outFile = Path.Combine(spec.WorkDirectory, "o"), idx = Path.Combine(spec.WorkDirectory, "i"); var idxs = new List<string>(); using (var f = File.Create(outFile)) foreach (var p in parts) { var b = Encoding.Latin1.GetBytes(p.ToString()); idxs.Add($"{f.Position} {b.Length}"); f.Write(b); }
    File.WriteAllLines(idx, idxs); reporter.Progress(1); return new MapTaskResult { OutputFile = outFile, IndexFile = idx, Counters = new Dictionary<string, long> { ["Map.MapOutputRecords"] = counts.Values.Sum() } }; } }
public static class ReduceTaskRunner {
  public static async Task<ReduceTaskResult> RunAsync(ReduceTaskSpec spec, ITaskReporter reporter, CancellationToken ct) {
    var counts = new Dictionary<string, long>(StringComparer.Ordinal);
    foreach (var f in spec.SegmentFiles) foreach (var line in Encoding.Latin1.GetString(await File.ReadAllBytesAsync(f, ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries)) { int t = line.LastIndexOf('\t'); counts[line[..t]] = counts.GetValueOrDefault(line[..t]) + long.Parse(line[(t + 1)..]); }
    var sb = new StringBuilder(); foreach (var kv in counts.OrderBy(k => k.Key, StringComparer.Ordinal)) sb.Append(kv.Key).Append('\t').Append(kv.Value).Append('\n');
    await spec.Output.WriteAsync(Encoding.Latin1.GetBytes(sb.ToString()), ct); return new ReduceTaskResult(); } }
