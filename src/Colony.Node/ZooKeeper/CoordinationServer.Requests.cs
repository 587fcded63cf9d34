using Colony.Coordination;
using Colony.Coordination.Commands;
using Colony.Coordination.Protocol;
using Colony.Coordination.Tree;

namespace Colony.Node.ZooKeeper;

internal sealed partial class CoordinationServer
{
    private void Receive(ClientConnection connection, RequestHeader header, ClientRequest request)
    {
        // A closed connection's requests are dropped, but not a closeSession that arrived before the
        // client hung up: as in ZooKeeper, the session (and its ephemerals) ends now, not at expiry.
        if (connection.Session is not { } session || (connection.IsClosed && header.Type != OpCode.CloseSession))
        {
            return;
        }
        Heard(connection);
        long now = NowMs;
        bool isWrite = IsWrite(header.Type, request);
        var pending = new PendingRequest(header, request, isWrite, ElapsedMs);
        if (request is ReconfigRequest reconfig)
        {
            // Not a tree write but a run of membership changes; as a write, later requests wait for it.
            StartReconfig(session, pending, reconfig);
        }
        else if (isWrite && session.ReadOnly)
        {
            RefuseReadOnlyWrite(session, header, pending);
        }
        else if (isWrite && session.Local)
        {
            ReceiveLocalWrite(session, header, pending, now);
        }
        else if (isWrite)
        {
            if (ToOperation(header.Type, request, session) is { } operation)
            {
                Propose(session, new CoordinationCommand(_host.NodeId, session.SessionId, header.Xid, now, session.Auth.ToArray(), operation));
                session.PendingWrites++;
            }
            else
            {
                pending.Complete(new ReplyHeader(header.Xid, Tree.LastZxid, ErrorCode.BadArguments), null);
            }
        }
        session.Pending.Enqueue(pending);
        if (session.Established)
        {
            Touch(session);
            Drain(session);
        }
    }

    private static bool IsWrite(OpCode type, ClientRequest request) => request is not RejectedRequest && type switch
    {
        OpCode.Create or OpCode.Create2 or OpCode.CreateContainer or OpCode.CreateTtl or OpCode.Delete
            or OpCode.SetData or OpCode.SetAcl or OpCode.Check or OpCode.Sync or OpCode.CloseSession => true,
        OpCode.Multi => request is MultiRequest { IsRead: not true },
        OpCode.Reconfig => request is ReconfigRequest,
        _ => false,
    };

    /// <summary>Sends every reply that is due, in arrival order, running reads as their turn comes.</summary>
    private void Drain(SessionState session)
    {
        var connection = session.Connection;
        while (session.Pending.TryPeek(out var head))
        {
            if (!head.Done)
            {
                if (head.IsWrite)
                {
                    return; // later requests wait: a read after a write sees the write
                }
                ExecuteRead(session, head);
            }
            session.Pending.Dequeue();
            long now = ElapsedMs;
            _counters.RecordLatency(now - head.SinceMs);
            _counters.Sent++;
            connection.Stats.Record(ConnectionStats.NameOf(head.Header.Type), head.Header.Xid, head.Reply.Zxid, head.SinceMs, now);
            RecordRequest(head);
            session.LastZxidSent = head.Reply.Zxid;
            connection.Send(head.Reply, head.Body);
            if (head.CloseAfter)
            {
                connection.CloseAfterFlush();
                return;
            }
        }
    }

    private void CompleteWrite(SessionState session, int xid, CoordinationResult result)
    {
        foreach (var pending in session.Pending)
        {
            if (!pending.IsWrite || pending.Done || pending.Request is ReconfigRequest)
            {
                continue;
            }
            if (pending.Header.Xid != xid)
            {
                // The oldest write in flight is not this one: an earlier write was lost. The
                // client cannot be told which; close so it learns its state is unknown.
                LogOutOfOrder(session.SessionId, pending.Header.Xid, xid);
                session.Connection.Close();
                return;
            }
            session.PendingWrites--;
            session.ProposedWrites = Math.Max(0, session.ProposedWrites - 1);
            var (reply, body, close) = WriteReply(pending, result);
            pending.Complete(reply, body, close);
            Drain(session);
            return;
        }
    }

    private static Op? ToOperation(OpCode type, ClientRequest request, SessionState session) => (type, request) switch
    {
        (OpCode.Create or OpCode.Create2, CreateRequest r) => new Op.Create(r.Path, r.Data, r.Acls, r.Mode),
        (OpCode.CreateContainer, CreateRequest r) => new Op.Create(r.Path, r.Data, r.Acls, CreateMode.Container),
        (OpCode.CreateTtl, CreateTtlRequest r) => new Op.Create(r.Path, r.Data, r.Acls, r.Mode, r.Ttl),
        (OpCode.Delete, DeleteRequest r) => new Op.Delete(r.Path, r.Version),
        (OpCode.SetData, SetDataRequest r) => new Op.SetData(r.Path, r.Data, r.Version),
        (OpCode.SetAcl, SetAclRequest r) => new Op.SetAcl(r.Path, r.Acls, r.Version),
        (OpCode.Check, CheckVersionRequest r) => new Op.Check(r.Path, r.Version),
        (OpCode.Sync, SyncRequest r) => new Op.Sync(r.Path),
        (OpCode.CloseSession, _) => new Op.CloseSession(session.SessionId),
        (OpCode.Multi, MultiRequest r) => ToMulti(r),
        _ => null,
    };

    private static Op? ToMulti(MultiRequest multi)
    {
        var ops = new Op[multi.Ops.Count];
        for (int i = 0; i < ops.Length; i++)
        {
            var op = multi.Ops[i];
            if (ToOperation(op.Type, op.Request, null!) is not { } converted || converted is Op.Sync or Op.CloseSession)
            {
                return null;
            }
            ops[i] = converted;
        }
        return new Op.Multi(ops);
    }

    private static (ReplyHeader Reply, IJuteWritable? Body, bool Close) WriteReply(PendingRequest pending, CoordinationResult result)
    {
        int xid = pending.Header.Xid;
        var type = pending.Header.Type;
        if (type == OpCode.Multi)
        {
            // A failed multi still succeeds as a request: its results carry the errors.
            return (new ReplyHeader(xid, result.Zxid, ErrorCode.Ok), MultiReply((MultiRequest)pending.Request, result), false);
        }
        if (!result.IsOk)
        {
            return (new ReplyHeader(xid, result.Zxid, result.Error), null, false);
        }
        var header = new ReplyHeader(xid, result.Zxid, ErrorCode.Ok);
        var op = result.Op;
        IJuteWritable? body = type switch
        {
            OpCode.Create => new CreateResponse(op.Path!),
            OpCode.Create2 or OpCode.CreateContainer or OpCode.CreateTtl => new Create2Response(op.Path!, op.Stat ?? default),
            OpCode.SetData => new SetDataResponse(op.Stat ?? default),
            OpCode.SetAcl => new SetAclResponse(op.Stat ?? default),
            OpCode.Sync => new SyncResponse(((SyncRequest)pending.Request).Path),
            _ => null,
        };
        return (header, body, type == OpCode.CloseSession);
    }

    private static MultiResponse MultiReply(MultiRequest request, CoordinationResult result)
    {
        var results = new Colony.Coordination.Protocol.OpResult[request.Ops.Count];
        for (int i = 0; i < results.Length; i++)
        {
            var op = i < result.Multi.Count ? result.Multi[i] : new Colony.Coordination.Tree.OpResult(result.Error);
            if (!result.IsOk || op.Error != ErrorCode.Ok)
            {
                results[i] = new ErrorResult(op.Error);
                continue;
            }
            results[i] = request.Ops[i].Type switch
            {
                OpCode.Create => new CreateResult(op.Path!),
                OpCode.Create2 or OpCode.CreateContainer or OpCode.CreateTtl => new Create2Result(op.Path!, op.Stat ?? default),
                OpCode.Delete => DeleteResult.Instance,
                OpCode.SetData => new SetDataResult(op.Stat ?? default),
                _ => CheckResult.Instance,
            };
        }
        return new MultiResponse(results);
    }
}
