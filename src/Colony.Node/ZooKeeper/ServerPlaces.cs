using System.Net;

namespace Colony.Node.ZooKeeper;

/// <summary>
/// Where the server listens and keeps its log, for <c>conf</c>, <c>dirs</c> and <c>zabstate</c>: ZooKeeper's clientPort,
/// secureClientPort (-1 without one) and data directory (its snapshots and its log, in one directory here).
/// </summary>
internal sealed record ServerPlaces(int ClientPort, int SecureClientPort, string LogDirectory, string? ClientAddress = null)
{
    public static ServerPlaces From(string? clientAddress, string? secureAddress, string logDirectory) =>
        new(PortOf(clientAddress), PortOf(secureAddress), logDirectory, clientAddress);

    private static int PortOf(string? address) => IPEndPoint.TryParse(address ?? "", out var endPoint) ? endPoint.Port : -1;

    /// <summary>The bytes in the log directory's files (as ZooKeeper's dataDirSize counts its directory); 0 if it cannot be read.</summary>
    public long LogBytes()
    {
        try
        {
            return Directory.Exists(LogDirectory)
                ? new DirectoryInfo(LogDirectory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(file => file.Length)
                : 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0; // a file removed while counting (a compacted segment): the next call counts again
        }
    }
}
