using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Colony.FaultTests.Bed;

/// <summary>
/// Makes sockets inside one network namespace from the test process. A socket belongs to the
/// namespace of the thread that created it, whichever thread uses it later, and a thread can enter
/// a network namespace on its own (setns with CLONE_NEWNET), so one dedicated thread enters the
/// namespace once and creates every socket asked of it; connecting, sending and receiving then run on
/// any thread as usual. The rest of the process stays where it was.
/// </summary>
internal sealed class NamespaceSockets : IDisposable
{
    private const int CloneNewNet = 0x40000000;

    private readonly BlockingCollection<TaskCompletionSource<Socket>> _requests = [];
    private readonly Thread _thread;

    public NamespaceSockets(string ns)
    {
        Namespace = ns;
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _thread = new Thread(() => Serve(entered)) { IsBackground = true, Name = $"sockets in {ns}" };
        _thread.Start();
        entered.Task.GetAwaiter().GetResult(); // throws what entering the namespace threw
    }

    public string Namespace { get; }

    /// <summary>A new IPv4 TCP socket in the namespace.</summary>
    public Task<Socket> CreateAsync()
    {
        var request = new TaskCompletionSource<Socket>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            _requests.Add(request);
        }
        catch (InvalidOperationException)
        {
            request.SetException(new ObjectDisposedException(nameof(NamespaceSockets), $"the sockets of {Namespace} are closed"));
        }
        return request.Task;
    }

    /// <summary>A TCP connection from the namespace to <paramref name="server"/> (an IP address and port), e.g. a client's connect callback.</summary>
    public async ValueTask<Socket> ConnectAsync(DnsEndPoint server, CancellationToken cancellationToken)
    {
        var socket = await CreateAsync();
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(server.Host), server.Port), cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Dispose() => _requests.CompleteAdding();

    private void Serve(TaskCompletionSource entered)
    {
        try
        {
            using var handle = File.OpenHandle($"/var/run/netns/{Namespace}", FileMode.Open, FileAccess.Read);
            if (SetNamespace((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
            {
                throw new IOException($"setns into network namespace {Namespace} failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }
        catch (Exception e)
        {
            entered.SetException(e);
            return;
        }
        entered.SetResult();
        foreach (var request in _requests.GetConsumingEnumerable())
        {
            try
            {
                request.SetResult(new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
            }
            catch (SocketException e)
            {
                request.SetException(e);
            }
        }
    }

    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static extern int SetNamespace(int fd, int type);
}
