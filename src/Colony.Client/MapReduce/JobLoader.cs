using System.Globalization;
using System.Reflection;
using System.Runtime.Loader;

namespace Colony.Client.MapReduce;

/// <summary>A job ready to run tasks: built-in, streaming, or loaded from a job assembly.</summary>
public sealed class LoadedJob : IDisposable
{
    private readonly JobAssemblyLoadContext? loadContext;

    internal LoadedJob(MapReduceJob job, IReadOnlyDictionary<string, string> settings, JobAssemblyLoadContext? loadContext)
    {
        Job = job;
        Settings = settings;
        this.loadContext = loadContext;
    }

    /// <summary>The job.</summary>
    public MapReduceJob Job { get; }

    /// <summary>The settings the job was loaded with.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; }

    /// <summary>The number of steps (1 for a single-step job).</summary>
    public int StepCount => Job.StepCount;

    /// <summary>Wraps a job instance (for in-process runs and tests).</summary>
    public static LoadedJob FromJob(MapReduceJob job, IReadOnlyDictionary<string, string>? settings = null) =>
        new(job, settings ?? new Dictionary<string, string>(), null);

    /// <summary>Runs the job's submission-time preparation; returns settings to add to the job.</summary>
    public Task<IReadOnlyDictionary<string, string>> PrepareAsync(JobPreparationContext context, CancellationToken cancellationToken) =>
        Job.PrepareAsync(context, cancellationToken);

    /// <summary>A task's settings: the job's own, overridden by the task's.</summary>
    internal IReadOnlyDictionary<string, string> EffectiveSettings(IReadOnlyDictionary<string, string> taskSettings)
    {
        if (Settings.Count == 0)
        {
            return taskSettings;
        }
        var merged = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string key, string value) in Settings)
        {
            merged[key] = value;
        }
        foreach ((string key, string value) in taskSettings)
        {
            merged[key] = value;
        }
        return merged;
    }

    /// <summary>The step a task runs, from <see cref="JobSettings.Step"/> (0 when absent).</summary>
    internal int StepOf(IReadOnlyDictionary<string, string> settings)
    {
        int step = settings.TryGetValue(JobSettings.Step, out string? text)
            ? int.Parse(text, CultureInfo.InvariantCulture)
            : 0;
        if (step < 0 || step >= StepCount)
        {
            throw new ArgumentException($"Step {step} is outside the job's {StepCount} steps.");
        }
        return step;
    }

    /// <summary>Unloads a job assembly once nothing references it.</summary>
    public void Dispose() => loadContext?.Unload();
}

/// <summary>Loads jobs by their settings.</summary>
public static class JobLoader
{
    /// <summary>
    /// Loads the job the settings name: a built-in (<see cref="JobSettings.BuiltIn"/>), a streaming job
    /// (<see cref="JobSettings.StreamingMapper"/>), or a job assembly (<see cref="JobSettings.AssemblyFile"/>)
    /// in a collectible load context that resolves its dependencies from <paramref name="localJobDirectory"/>
    /// and shares Colony.Client (and everything else the host has loaded) with the host.
    /// </summary>
    public static LoadedJob Load(IReadOnlyDictionary<string, string> settings, string localJobDirectory)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.TryGetValue(JobSettings.BuiltIn, out string? builtIn))
        {
            MapReduceJob job = builtIn switch
            {
                "wordcount" => new WordCountJob(),
                "grep" => new GrepJob(),
                "sort" => new SortJob(),
                _ => throw new ArgumentException($"Unknown built-in job '{builtIn}': use wordcount, grep or sort."),
            };
            return LoadedJob.FromJob(job, settings);
        }
        if (settings.TryGetValue(JobSettings.StreamingMapper, out string? mapper))
        {
            return LoadedJob.FromJob(
                new StreamingJob(
                    mapper, settings.GetValueOrDefault(JobSettings.StreamingReducer), settings.GetValueOrDefault(JobSettings.StreamingCombiner),
                    localJobDirectory),
                settings);
        }
        if (settings.TryGetValue(JobSettings.AssemblyFile, out string? assemblyFile))
        {
            return LoadAssembly(settings, localJobDirectory, assemblyFile);
        }
        throw new ArgumentException($"The settings name no job: set {JobSettings.BuiltIn}, {JobSettings.StreamingMapper} or {JobSettings.AssemblyFile}.");
    }

    private static LoadedJob LoadAssembly(IReadOnlyDictionary<string, string> settings, string directory, string assemblyFile)
    {
        string path = Path.GetFullPath(Path.Combine(directory, assemblyFile));
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The job assembly {assemblyFile} is not in the job directory.", path);
        }
        var context = new JobAssemblyLoadContext(directory);
        try
        {
            Assembly assembly = context.LoadFromAssemblyPath(path);
            Type type = settings.TryGetValue(JobSettings.JobType, out string? typeName)
                ? assembly.GetType(typeName, throwOnError: false) ?? throw new TypeLoadException($"{assemblyFile} has no type {typeName}.")
                : SingleJobType(assembly, assemblyFile);
            if (!typeof(MapReduceJob).IsAssignableFrom(type))
            {
                throw new TypeLoadException($"{type.FullName} is not a {nameof(MapReduceJob)} (is the job built against this Colony.Client?).");
            }
            var job = (MapReduceJob)(Activator.CreateInstance(type)
                ?? throw new TypeLoadException($"{type.FullName} could not be created."));
            return new LoadedJob(job, settings, context);
        }
        catch
        {
            context.Unload();
            throw;
        }
    }

    private static Type SingleJobType(Assembly assembly, string assemblyFile)
    {
        Type[] candidates = assembly.GetExportedTypes().Where(t => !t.IsAbstract && typeof(MapReduceJob).IsAssignableFrom(t)).ToArray();
        return candidates.Length == 1
            ? candidates[0]
            : throw new TypeLoadException(
                $"{assemblyFile} has {candidates.Length} public job types; name one with {JobSettings.JobType}.");
    }
}

/// <summary>A collectible context for one job's assemblies.</summary>
internal sealed class JobAssemblyLoadContext(string directory) : AssemblyLoadContext("colony-job", isCollectible: true)
{
    protected override Assembly? Load(AssemblyName assemblyName)
    {
        // The host's copies win, so the job's MapReduceJob is the engine's MapReduceJob.
        if (assemblyName.Name == typeof(MapReduceJob).Assembly.GetName().Name)
        {
            return null;
        }
        foreach (Assembly loaded in Default.Assemblies)
        {
            if (string.Equals(loaded.GetName().Name, assemblyName.Name, StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }
        }
        string candidate = Path.Combine(directory, assemblyName.Name + ".dll");
        return File.Exists(candidate) ? LoadFromAssemblyPath(Path.GetFullPath(candidate)) : null;
    }
}
