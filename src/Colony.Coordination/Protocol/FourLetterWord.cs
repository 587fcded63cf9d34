using System.Buffers.Binary;

namespace Colony.Coordination.Protocol;

/// <summary>
/// ZooKeeper's four-letter admin words. A connection's first 4 bytes are either one of these or a
/// frame length; read as a big-endian length every word is far over any frame limit, so the two
/// never collide.
/// </summary>
public static class FourLetterWord
{
    /// <summary>Every word ZooKeeper knows, in its own order.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        "conf", "cons", "crst", "dirs", "dump", "envi", "gtmk", "ruok", "stmk",
        "srst", "srvr", "stat", "wchc", "wchp", "wchs", "mntr", "isro", "hash",
    ];

    /// <summary>Recognises a known word in the first 4 bytes; <paramref name="word"/> is the shared string for it.</summary>
    public static bool TryParse(ReadOnlySpan<byte> first4, out string word)
    {
        word = string.Empty;
        if (first4.Length < 4)
        {
            return false;
        }
        int code = BinaryPrimitives.ReadInt32BigEndian(first4);
        foreach (string candidate in All)
        {
            if (Code(candidate) == code)
            {
                word = candidate;
                return true;
            }
        }
        return false;
    }

    private static int Code(string word) => (word[0] << 24) | (word[1] << 16) | (word[2] << 8) | word[3];
}
