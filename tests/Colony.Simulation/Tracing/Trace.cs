using System.Globalization;
using System.Text;
using Colony.Consensus;
using Colony.Simulation.Checkers;
using Colony.Simulation.Scheduling;

namespace Colony.Simulation.Tracing;

/// <summary>
/// The run's event log. Every event folds into <see cref="Hash"/> (so two runs can be compared
/// cheaply); the compact text lines, one per event with the node's role, term, commit and applied
/// index, are only formatted when asked for.
/// </summary>
internal sealed class Trace(EventQueue queue, TextWriter? lines)
{
    public ulong Hash { get; private set; } = Fingerprint.Seed;

    public long Events { get; private set; }

    public bool Enabled => lines is not null;

    /// <summary>An event at one node; <paramref name="node"/> is null while the node is down.</summary>
    public void Node(ulong id, RaftNode? node, ulong applied, TraceKind kind, ulong a = 0, ulong b = 0, string? text = null)
    {
        Events++;
        ulong hash = Fingerprint.Add(Hash, (ulong)queue.Now);
        hash = Fingerprint.Add(hash, (id << 8) | (byte)kind);
        hash = Fingerprint.Add(hash, a);
        hash = Fingerprint.Add(hash, b);
        if (node is not null)
        {
            hash = Fingerprint.Add(hash, ((ulong)node.Role << 56) ^ node.Term);
            hash = Fingerprint.Add(hash, node.CommitIndex);
            hash = Fingerprint.Add(hash, applied);
        }
        Hash = hash;
        if (lines is null)
        {
            return;
        }
        var line = new StringBuilder(96);
        line.Append(CultureInfo.InvariantCulture, $"{Time.Format(queue.Now),12} n{id} ");
        if (node is null)
        {
            line.Append("down                         ");
        }
        else
        {
            line.Append(CultureInfo.InvariantCulture,
                $"{RoleLetter(node.Role)} t{node.Term,-4} c{node.CommitIndex,-5} a{applied,-5} l{node.LastIndex,-5} ");
        }
        line.Append(Describe(kind, a, b));
        if (text is not null)
        {
            line.Append(' ').Append(text);
        }
        lines.WriteLine(line.ToString());
    }

    /// <summary>An event of the whole cluster (partitions, healing, phases).</summary>
    public void Cluster(TraceKind kind, string text)
    {
        Events++;
        Hash = Fingerprint.Add(Fingerprint.Add(Fingerprint.Add(Hash, (ulong)queue.Now), (byte)kind), text);
        lines?.WriteLine($"{Time.Format(queue.Now),12} ** {text}");
    }

    /// <summary>A line for the reader only (client returns): not an event, so tracing never changes the hash.</summary>
    public void Comment(string text) => lines?.WriteLine($"{Time.Format(queue.Now),12} -- {text}");

    private static char RoleLetter(RaftRole role) => role switch
    {
        RaftRole.Leader => 'L',
        RaftRole.Candidate => 'C',
        RaftRole.PreCandidate => 'P',
        _ => 'F',
    };

    private static string Describe(TraceKind kind, ulong a, ulong b) => kind switch
    {
        TraceKind.Receive => $"recv {(MessageType)a} from {b}",
        TraceKind.Flushed => "flushed",
        TraceKind.Tick => "tick",
        TraceKind.Start => $"start (snapshot {a})",
        TraceKind.Crash => "crash",
        TraceKind.Propose => $"propose -> {(ProposeStatus)a} at {b}",
        TraceKind.Read => $"read-index #{a}",
        TraceKind.ProposeMembership => $"membership change -> {(ProposeStatus)a}",
        TraceKind.Transfer => $"transfer leadership to {a}: {(b != 0 ? "started" : "refused")}",
        TraceKind.Unreachable => $"peer {a} unreachable",
        _ => kind.ToString().ToLowerInvariant(),
    };
}
