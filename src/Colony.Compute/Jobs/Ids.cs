using System.Globalization;

namespace Colony.Compute.Jobs;

/// <summary>A job, numbered by the Jobs module in submission order from 1. Printed <c>job-000017</c>.</summary>
public readonly record struct JobId(ulong Value) : IComparable<JobId>
{
    private const string Prefix = "job-";

    public int CompareTo(JobId other) => Value.CompareTo(other.Value);

    public override string ToString() => Prefix + Value.ToString("D6", CultureInfo.InvariantCulture);

    /// <summary>Parses the canonical form only (what <see cref="ToString"/> prints).</summary>
    public static bool TryParse(string? text, out JobId id)
    {
        id = default;
        if (text is null || !text.StartsWith(Prefix, StringComparison.Ordinal)
            || !IdText.TryDigits(text.AsSpan(Prefix.Length), out ulong value))
        {
            return false;
        }
        id = new JobId(value);
        return id.ToString() == text;
    }
}

/// <summary>Which phase a task belongs to. Persisted: never renumber.</summary>
public enum TaskKind : byte
{
    Map = 1,
    Reduce = 2,
}

/// <summary>One map or reduce task of a job, indexed from 0. Printed <c>job-000017-m-00003</c> (or <c>-r-</c>).</summary>
public readonly record struct TaskId(JobId Job, TaskKind Kind, int Index) : IComparable<TaskId>
{
    public int CompareTo(TaskId other)
    {
        int c = Job.CompareTo(other.Job);
        if (c == 0)
        {
            c = Kind.CompareTo(other.Kind);
        }
        return c != 0 ? c : Index.CompareTo(other.Index);
    }

    public override string ToString() =>
        $"{Job}-{(Kind == TaskKind.Map ? 'm' : 'r')}-{Index.ToString("D5", CultureInfo.InvariantCulture)}";

    /// <summary>Parses the canonical form only.</summary>
    public static bool TryParse(string? text, out TaskId id)
    {
        id = default;
        if (text is null)
        {
            return false;
        }
        // job-<digits>-<m|r>-<digits>: split at the last two dashes.
        int second = text.LastIndexOf('-');
        int first = second > 0 ? text.LastIndexOf('-', second - 1) : -1;
        if (first <= 0 || second - first != 2 || !JobId.TryParse(text[..first], out var job)
            || !IdText.TryDigits(text.AsSpan(second + 1), out ulong index) || index > int.MaxValue)
        {
            return false;
        }
        TaskKind? kind = text[first + 1] switch { 'm' => TaskKind.Map, 'r' => TaskKind.Reduce, _ => null };
        if (kind is null)
        {
            return false;
        }
        id = new TaskId(job, kind.Value, (int)index);
        return id.ToString() == text;
    }
}

/// <summary>One run of a task on one node, numbered from 1 per task. Printed <c>job-000017-m-00003-a2</c>.</summary>
public readonly record struct AttemptId(TaskId Task, int Number) : IComparable<AttemptId>
{
    public int CompareTo(AttemptId other)
    {
        int c = Task.CompareTo(other.Task);
        return c != 0 ? c : Number.CompareTo(other.Number);
    }

    public override string ToString() => $"{Task}-a{Number.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Parses the canonical form only.</summary>
    public static bool TryParse(string? text, out AttemptId id)
    {
        id = default;
        int dash = text?.LastIndexOf("-a", StringComparison.Ordinal) ?? -1;
        if (text is null || dash <= 0 || !TaskId.TryParse(text[..dash], out var task)
            || !IdText.TryDigits(text.AsSpan(dash + 2), out ulong number) || number is 0 or > int.MaxValue)
        {
            return false;
        }
        id = new AttemptId(task, (int)number);
        return id.ToString() == text;
    }
}

internal static class IdText
{
    /// <summary>ASCII digits only: no sign, no spaces, no other numerals.</summary>
    public static bool TryDigits(ReadOnlySpan<char> text, out ulong value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 20)
        {
            return false;
        }
        foreach (char c in text)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }
        return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
