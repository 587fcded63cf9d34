using Colony.Consensus;

namespace Colony.Simulation.Tracing;

/// <summary>A message as one trace fragment, with the fields a reader needs for its type.</summary>
internal static class MessageText
{
    public static string Describe(Message m) => m.Type switch
    {
        MessageType.Heartbeat => $"{m.From}->{m.To} Heartbeat t{m.Term} commit={m.Commit} round={m.Context}",
        MessageType.Commit => $"{m.From}->{m.To} Commit t{m.Term} commit={m.Commit}",
        MessageType.Durable => $"{m.From}->{m.To} Durable t{m.Term} durable={m.Index}",
        MessageType.HeartbeatResponse => $"{m.From}->{m.To} HeartbeatResponse t{m.Term} round={m.Context}",
        MessageType.SnapshotChunkResponse => $"{m.From}->{m.To} SnapshotChunkResponse t{m.Term} snap={m.Index} next={m.SnapshotOffset}",
        MessageType.ReadIndex or MessageType.ReadIndexResponse => $"{m.From}->{m.To} {m.Type} t{m.Term} idx={m.Index} ctx={m.Context}",
        _ => m.ToString(),
    };
}
