namespace Colony.Node.Hosting;

/// <summary>
/// What a call to another node's HTTP API throws when that node is slow, unreachable, or dies while it
/// answers. The caller takes it as "no answer" and asks again later. An answer cut short surfaces as an
/// <see cref="IOException"/> (<see cref="System.Net.Http.HttpIOException"/>) or a
/// <see cref="System.Text.Json.JsonException"/>, not as an <see cref="HttpRequestException"/>; a
/// background service that let one through would stop the whole node.
/// </summary>
internal static class PeerHttpFailure
{
    public static bool IsNoAnswer(Exception e) =>
        e is HttpRequestException or IOException or TaskCanceledException or System.Text.Json.JsonException;
}
