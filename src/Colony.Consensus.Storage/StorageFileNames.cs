using System.Globalization;

namespace Colony.Consensus.Storage;

/// <summary>
/// Names of the files in a log directory. Numbers are 16 lowercase hex digits so that ordinal order is
/// numeric order: <c>0000000000000001.wal</c> (segment by sequence), <c>0000000000002710.snap</c>
/// (snapshot by index), and <c>.tmp</c> for a snapshot being written.
/// </summary>
internal static class StorageFileNames
{
    public const string SegmentExtension = ".wal";
    public const string SnapshotExtension = ".snap";
    public const string TempExtension = ".tmp";

    private const int DigitCount = 16;

    public static string Segment(ulong sequence) => Number(sequence) + SegmentExtension;

    public static string Snapshot(ulong index) => Number(index) + SnapshotExtension;

    public static string Temp(string finalName) => finalName + TempExtension;

    public static bool TryParseSegment(string name, out ulong sequence) => TryParse(name, SegmentExtension, out sequence);

    public static bool TryParseSnapshot(string name, out ulong index) => TryParse(name, SnapshotExtension, out index);

    public static bool IsTemp(string name) => name.EndsWith(TempExtension, StringComparison.Ordinal);

    private static string Number(ulong value) => value.ToString("x16", CultureInfo.InvariantCulture);

    private static bool TryParse(string name, string extension, out ulong value)
    {
        value = 0;
        if (name.Length != DigitCount + extension.Length || !name.EndsWith(extension, StringComparison.Ordinal))
        {
            return false;
        }
        var digits = name.AsSpan(0, DigitCount);
        foreach (char c in digits)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }
        return ulong.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }
}
