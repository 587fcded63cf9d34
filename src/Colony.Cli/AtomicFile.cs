using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Colony.Cli;

/// <summary>Writes a file whole or not at all: a temporary file beside it, then a rename.</summary>
internal static class AtomicFile
{
    public static void WriteJson<T>(string path, T value, JsonTypeInfo<T> type)
    {
        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                JsonSerializer.Serialize(stream, value, type);
                stream.WriteByte((byte)'\n');
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}
