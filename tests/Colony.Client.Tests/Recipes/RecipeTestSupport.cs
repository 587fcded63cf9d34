using System.Net.Sockets;
using System.Text;

namespace Colony.Client.Tests.Recipes;

internal static class RecipeTestSupport
{
    /// <summary>Polls until <paramref name="condition"/> holds, failing after the test patience; a wait on a condition, not on time.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        using var deadline = new CancellationTokenSource(TestSupport.Patience);
        while (!await condition())
        {
            try
            {
                await Task.Delay(20, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Waited {TestSupport.Patience.TotalSeconds} s for {what}.");
            }
        }
    }

    /// <summary>Sends a four-letter word to a server's client port and returns its answer.</summary>
    public static async Task<string> FourLetterWordAsync(string address, string word)
    {
        int colon = address.LastIndexOf(':');
        using var client = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await client.ConnectAsync(address[..colon], int.Parse(address[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture), timeout.Token);
        NetworkStream stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(word), timeout.Token);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        return await reader.ReadToEndAsync(timeout.Token);
    }

    /// <summary>"wchp" parsed: each watched path under <paramref name="root"/> with the sessions watching it.</summary>
    public static async Task<Dictionary<string, List<string>>> WatchedPathsAsync(string address, string root)
    {
        var watched = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        List<string>? sessions = null;
        foreach (string line in (await FourLetterWordAsync(address, "wchp")).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!line.StartsWith('\t'))
            {
                sessions = line.StartsWith(root + "/", StringComparison.Ordinal) ? watched[line] = [] : null;
            }
            else
            {
                sessions?.Add(line.Trim());
            }
        }
        return watched;
    }
}
