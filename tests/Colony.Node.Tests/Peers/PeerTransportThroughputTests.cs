using System.Diagnostics;
using System.Globalization;
using Colony.Consensus;
using Colony.Node.Peers;
using Xunit.Abstractions;

namespace Colony.Node.Tests.Peers;

/// <summary>
/// A quick throughput figure for two transports on loopback: Append messages with 100-byte entries
/// from one node to the other, counted from the first send to the last arrival. A measurement, not a
/// benchmark: it checks that everything arrives and prints the rate to the test output.
/// </summary>
public class PeerTransportThroughputTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1, 100_000)]
    [InlineData(64, 20_000)]
    public async Task Append_messages_of_100_byte_entries_on_loopback(int entriesPerMessage, int messages)
    {
        var logs = new RecordingLoggerProvider();
        await using var receiver = PeerTestNode.Start(1, logs);
        var options = TestPeers.Options(2);
        await using var sender = PeerTestNode.Start(2, logs, new PeerTransportOptions
        {
            LocalId = options.LocalId, ClusterId = options.ClusterId, Secret = options.Secret,
            MaxQueuedMessagesPerPeer = messages, MaxQueuedBytesPerPeer = 1L << 30,
        });
        sender.Knows(receiver);
        var batch = Enumerable.Range(0, messages).Select(i => Append(i, entriesPerMessage)).ToArray();
        Assert.True(Colony.Consensus.Wire.MessageCodec.Default.TryMeasureFrame(batch[0], out int frameBytes));

        // Warm up: connect, and run both sides long enough for the JIT to optimise the hot paths.
        for (int round = 0; round < 3; round++)
        {
            foreach (var message in batch.Take(messages / 5))
            {
                sender.Transport.Send(message);
            }
            for (int i = 0; i < messages / 5; i++)
            {
                await receiver.ReceiveAsync();
            }
        }

        var clock = Stopwatch.StartNew();
        foreach (var message in batch)
        {
            sender.Transport.Send(message);
        }
        var sendTime = clock.Elapsed;
        using var timeout = new CancellationTokenSource(Wait.Timeout);
        for (int i = 0; i < messages;)
        {
            await receiver.Inbox.Reader.WaitToReadAsync(timeout.Token);
            while (receiver.Inbox.Reader.TryRead(out var message))
            {
                Assert.Equal(batch[i++].Index, message.Index);
            }
        }
        var elapsed = clock.Elapsed;
        Assert.Equal(0, sender.Transport.DroppedMessages);

        double seconds = elapsed.TotalSeconds;
        long entries = (long)messages * entriesPerMessage;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{messages:N0} Append messages x {entriesPerMessage} entries of 100 B ({frameBytes} B frames) in {elapsed.TotalMilliseconds:F0} ms " +
            $"(Send calls: {sendTime.TotalMilliseconds:F0} ms): {messages / seconds:N0} messages/s, {entries / seconds:N0} entries/s, " +
            $"{entries * 100 / seconds / 1e6:F1} MB/s of entry data, {(double)messages * frameBytes / seconds / 1e6:F1} MB/s on the wire"));
    }

    private static Message Append(int i, int entries)
    {
        ulong first = (ulong)i * (ulong)entries + 1;
        var payload = new byte[100];
        return new Message
        {
            Type = MessageType.Append, From = 2, To = 1, Term = 3, LogTerm = 3, Index = first - 1, Commit = first - 1,
            Entries = [.. Enumerable.Range(0, entries).Select(e => new Entry(3, first + (ulong)e, EntryType.Normal, payload))],
        };
    }
}
