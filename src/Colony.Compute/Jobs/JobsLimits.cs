namespace Colony.Compute.Jobs;

/// <summary>
/// Bounds on what a jobs command or snapshot may carry, so a malformed or hostile length cannot make a
/// replica allocate without limit. The tracker must keep to them (clip long error text before proposing).
/// </summary>
public static class JobsLimits
{
    /// <summary>Paths, names, users, output locations, in UTF-8 bytes.</summary>
    public const int MaxStringBytes = 8192;

    /// <summary>Error and reason text, in UTF-8 bytes.</summary>
    public const int MaxMessageBytes = 16384;

    public const int MaxInputs = 10_000;

    public const int MaxSettings = 1024;

    public const int MaxSettingValueBytes = 65_536;

    /// <summary>Map tasks per job: one per split.</summary>
    public const int MaxSplits = 100_000;

    public const int MaxHostsPerSplit = 64;

    public const int MaxReducers = 100_000;

    public const int MaxCounters = 1024;

    public const int MaxCounterNameBytes = 256;

    /// <summary>Clips <paramref name="text"/> to at most <paramref name="maxBytes"/> UTF-8 bytes, on a character boundary.</summary>
    public static string Clip(string text, int maxBytes = MaxMessageBytes)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (System.Text.Encoding.UTF8.GetByteCount(text) <= maxBytes)
        {
            return text;
        }
        int length = Math.Min(text.Length, maxBytes);
        while (length > 0 && System.Text.Encoding.UTF8.GetByteCount(text.AsSpan(0, length)) > maxBytes)
        {
            length--;
        }
        if (length > 0 && char.IsHighSurrogate(text[length - 1]))
        {
            length--;
        }
        return text[..length];
    }
}
