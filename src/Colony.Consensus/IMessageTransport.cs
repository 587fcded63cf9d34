namespace Colony.Consensus;

/// <summary>Carries messages to peers. Best effort: Raft tolerates loss, duplication and reordering.</summary>
public interface IMessageTransport
{
    void Send(Message message);
}
