using Colony.Core;

namespace Colony.Compute.Jobs;

/// <summary>Encodings shared by the command codec and the snapshot: a job spec, splits, counters.</summary>
internal static class JobsFields
{
    public static void Spec(JobsWriter w, JobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        w.String(spec.Name, JobsLimits.MaxStringBytes, "job name");
        w.String(spec.User, JobsLimits.MaxStringBytes, "user");
        w.Signed(spec.Priority);
        w.Count(spec.Inputs.Count, JobsLimits.MaxInputs, "input count");
        foreach (string input in spec.Inputs)
        {
            w.String(input, JobsLimits.MaxStringBytes, "input");
        }
        w.String(spec.Output, JobsLimits.MaxStringBytes, "output");
        if (spec.Reducers is < 0 or > JobsLimits.MaxReducers)
        {
            throw new ArgumentException($"reducers is {spec.Reducers}; expected [0, {JobsLimits.MaxReducers}]", nameof(spec));
        }
        w.Varint((ulong)spec.Reducers);
        w.Count(spec.Settings.Count, JobsLimits.MaxSettings, "setting count");
        // Ordinal key order, so equal specs encode to equal bytes whatever the dictionary's order.
        foreach (var (key, value) in spec.Settings.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            w.String(key, JobsLimits.MaxStringBytes, "setting name");
            w.String(value, JobsLimits.MaxSettingValueBytes, "setting value");
        }
    }

    public static JobSpec Spec(ref JobsReader r)
    {
        string name = r.String(JobsLimits.MaxStringBytes, "job name");
        string user = r.String(JobsLimits.MaxStringBytes, "user");
        int priority = r.Int(int.MinValue, int.MaxValue, "priority");
        var inputs = new string[r.Count(JobsLimits.MaxInputs, 1, "input count")];
        for (int i = 0; i < inputs.Length; i++)
        {
            inputs[i] = r.String(JobsLimits.MaxStringBytes, "input");
        }
        string output = r.String(JobsLimits.MaxStringBytes, "output");
        int reducers = r.Index(0, JobsLimits.MaxReducers, "reducers");
        int count = r.Count(JobsLimits.MaxSettings, 2, "setting count");
        var settings = new Dictionary<string, string>(count, StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            string key = r.String(JobsLimits.MaxStringBytes, "setting name");
            if (!settings.TryAdd(key, r.String(JobsLimits.MaxSettingValueBytes, "setting value")))
            {
                throw new FormatException($"setting '{key}' appears twice");
            }
        }
        return new JobSpec(name, user, priority, inputs, output, reducers, settings);
    }

    public static void Split(JobsWriter w, InputSplit split)
    {
        ArgumentNullException.ThrowIfNull(split);
        w.String(split.Path, JobsLimits.MaxStringBytes, "split path");
        w.Signed(split.Offset);
        w.Signed(split.Length);
        w.Count(split.Hosts.Count, JobsLimits.MaxHostsPerSplit, "host count");
        foreach (var host in split.Hosts)
        {
            w.Node(host);
        }
    }

    public static InputSplit Split(ref JobsReader r)
    {
        string path = r.String(JobsLimits.MaxStringBytes, "split path");
        long offset = r.Signed("split offset");
        long length = r.Signed("split length");
        var hosts = new NodeId[r.Count(JobsLimits.MaxHostsPerSplit, 1, "host count")];
        for (int i = 0; i < hosts.Length; i++)
        {
            hosts[i] = r.Node("host");
        }
        return new InputSplit(path, offset, length, hosts);
    }

    public static void Counters(JobsWriter w, IReadOnlyDictionary<string, long> counters)
    {
        ArgumentNullException.ThrowIfNull(counters);
        w.Count(counters.Count, JobsLimits.MaxCounters, "counter count");
        foreach (var (name, value) in counters.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            w.String(name, JobsLimits.MaxCounterNameBytes, "counter name");
            w.Signed(value);
        }
    }

    public static IReadOnlyDictionary<string, long> Counters(ref JobsReader r)
    {
        int count = r.Count(JobsLimits.MaxCounters, 2, "counter count");
        if (count == 0)
        {
            return JobView.EmptyCounters;
        }
        var counters = new Dictionary<string, long>(count, StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            string name = r.String(JobsLimits.MaxCounterNameBytes, "counter name");
            if (!counters.TryAdd(name, r.Signed("counter value")))
            {
                throw new FormatException($"counter '{name}' appears twice");
            }
        }
        return counters;
    }
}
