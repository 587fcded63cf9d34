using Colony.Consensus;

namespace Colony.Consensus.Storage.Tests;

/// <summary>Entries whose data is derived from their term and index, so a mix-up shows.</summary>
internal static class TestEntries
{
    public static Entry Make(ulong term, ulong index, int dataBytes = 16)
    {
        var data = new byte[dataBytes];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (byte)(index * 31 + term * 7 + (ulong)i);
        }
        return new Entry(term, index, EntryType.Normal, data);
    }

    public static Entry[] Range(ulong term, ulong first, ulong last, int dataBytes = 16)
    {
        var entries = new Entry[last - first + 1];
        for (ulong index = first; index <= last; index++)
        {
            entries[index - first] = Make(term, index, dataBytes);
        }
        return entries;
    }

    public static void AssertSame(IEnumerable<Entry> expected, IReadOnlyList<Entry> actual)
    {
        var wanted = expected.ToList();
        Assert.True(wanted.Count == actual.Count,
            $"expected {wanted.Count} entries [{Describe(wanted)}], got {actual.Count} [{Describe(actual)}]");
        for (int i = 0; i < wanted.Count; i++)
        {
            Assert.True(wanted[i].ContentEquals(actual[i]), $"entry {i}: expected {wanted[i]}, got {actual[i]}");
        }
    }

    public static string Describe(IReadOnlyList<Entry> entries) =>
        entries.Count == 0 ? "none" : $"{entries[0].Term}/{entries[0].Index} .. {entries[^1].Term}/{entries[^1].Index}";
}
