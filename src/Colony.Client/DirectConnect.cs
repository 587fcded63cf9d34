using System.Net;
using System.Net.Sockets;

namespace Colony.Client;

/// <summary>
/// What every client does to reach a server when no connect callback is given: a new TCP socket,
/// connected. The connect itself is a blocking call on the thread pool: an asynchronous one would tie
/// the socket to the runtime's socket event loop for good, and every frame read later would then wake
/// that loop and a pool thread instead of only the connection's reading thread.
/// </summary>
internal static class DirectConnect
{
    public static async ValueTask<Socket> ConnectAsync(DnsEndPoint server, CancellationToken cancellationToken)
    {
        IPAddress[] addresses = IPAddress.TryParse(server.Host, out IPAddress? literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(server.Host, cancellationToken).ConfigureAwait(false);
        SocketException? lastError = null;
        foreach (IPAddress address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                // Cancelling closes the socket, which ends a connect still in progress; the wait ends at once regardless.
                using (cancellationToken.Register(static state => ((Socket)state!).Dispose(), socket))
                {
                    await Task.Run(() => socket.Connect(address, server.Port), CancellationToken.None).WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                return socket;
            }
            catch (SocketException e) when (!cancellationToken.IsCancellationRequested)
            {
                socket.Dispose();
                lastError = e;
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                socket.Dispose();
                throw new OperationCanceledException(cancellationToken);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        throw lastError ?? new SocketException((int)SocketError.HostNotFound);
    }
}
