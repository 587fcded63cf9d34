using Colony.Coordination;
using Colony.Coordination.Protocol;

namespace Colony.Node.ZooKeeper;

/// <summary>
/// A request the connection could frame but not accept (an unknown opcode, a path that is not
/// UTF-8). It still takes its turn in the session's queue and gets <see cref="Error"/> as its reply.
/// </summary>
internal sealed record RejectedRequest(ErrorCode Error) : ClientRequest
{
    public override void Write(ref JuteWriter writer)
    {
    }
}
