using System.Globalization;
using System.Text;

namespace Colony.Node.ZooKeeper;

/// <summary>
/// Answers to ZooKeeper's four-letter words, shaped like ZooKeeper's own so that monitoring tools
/// that parse them keep working.
/// </summary>
internal static class FourLetterWords
{
    public const string Version = "3.8.0-colony";

    /// <param name="asking">The connection the word came on, which ZooKeeper counts and lists among the others; null over HTTP.</param>
    public static string Render(string word, CoordinationServer server, ClientConnection? asking = null) => word switch
    {
        "ruok" => "imok",
        "isro" => server.IsReadOnly ? "ro" : "rw",
        "srvr" => server.Srvr(asking),
        "stat" => server.Stat(asking),
        "mntr" => server.Mntr(asking),
        "conf" => server.Conf(),
        "cons" => server.Cons(asking),
        "envi" => Envi(),
        "wchs" => server.Wchs(),
        "wchc" => server.Wchc(),
        "wchp" => server.Wchp(),
        "dump" => server.Dump(asking),
        "dirs" => server.Dirs(),
        "srst" => server.ResetCounters(),
        "crst" => server.ResetConnectionStats(),
        _ => $"{word} is not executed because it is not supported by this server.\n",
    };

    private static string Envi()
    {
        var text = new StringBuilder("Environment:\n");
        Line(text, "zookeeper.version", Version);
        Line(text, "host.name", Environment.MachineName);
        Line(text, "runtime.version", Environment.Version.ToString());
        Line(text, "os.name", System.Runtime.InteropServices.RuntimeInformation.OSDescription);
        Line(text, "os.arch", System.Runtime.InteropServices.RuntimeInformation.OSArchitecture.ToString());
        Line(text, "user.dir", Environment.CurrentDirectory);
        Line(text, "process.id", Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        Line(text, "processor.count", Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture));
        return text.ToString();
    }

    private static void Line(StringBuilder text, string key, string value) => text.Append(key).Append('=').Append(value).Append('\n');
}
