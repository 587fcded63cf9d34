namespace Colony.Simulation.Scheduling;

/// <summary>Virtual durations, in microseconds.</summary>
internal static class Time
{
    public const long Millisecond = 1_000;

    public const long Second = 1_000_000;

    public static long Ms(double milliseconds) => (long)(milliseconds * Millisecond);

    public static string Format(long micros) =>
        (micros / (double)Millisecond).ToString("0.000", System.Globalization.CultureInfo.InvariantCulture);
}
