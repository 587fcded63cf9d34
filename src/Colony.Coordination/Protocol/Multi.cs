namespace Colony.Coordination.Protocol;

/// <summary>One operation of a multi: its wire opcode and its body.</summary>
public readonly record struct MultiOp(OpCode Type, ClientRequest Request);

/// <summary>
/// multi and multiRead: a sequence of (<see cref="MultiHeader"/>, body) ending with a header whose
/// Done flag is set. Writes (create, create2, createContainer, createTTL, delete, setData, check) and
/// reads (getData, getChildren) may not be mixed in one request.
/// </summary>
public sealed record MultiRequest(IReadOnlyList<MultiOp> Ops) : ClientRequest, IJuteRecord<MultiRequest>
{
    public static MultiRequest Read(ref JuteReader reader)
    {
        // Every op consumes at least its 9-byte header, so the list can't outgrow the frame.
        var ops = new List<MultiOp>();
        bool? reads = null;
        var header = MultiHeader.Read(ref reader);
        while (!header.Done)
        {
            bool isRead = header.Type is OpCode.GetData or OpCode.GetChildren;
            if (reads is { } kind && kind != isRead)
            {
                ProtocolException.Throw(ProtocolError.InvalidMessage, "A multi mixes reads and writes.");
            }
            reads = isRead;
            ops.Add(new MultiOp(header.Type, ReadOp(header.Type, ref reader)));
            header = MultiHeader.Read(ref reader);
        }
        return new MultiRequest(ops);
    }

    /// <summary>True when every op is a read (a multiRead request), false when every op is a write; null when empty.</summary>
    public bool? IsRead => Ops.Count == 0 ? null : Ops[0].Type is OpCode.GetData or OpCode.GetChildren;

    public override void Write(ref JuteWriter writer)
    {
        for (int i = 0; i < Ops.Count; i++)
        {
            MultiOp op = Ops[i];
            // ZooKeeper's client sends err -1 in request headers; servers ignore it.
            new MultiHeader(op.Type, false, (ErrorCode)(-1)).Write(ref writer);
            op.Request.Write(ref writer);
        }
        MultiHeader.Terminator.Write(ref writer);
    }

    private static ClientRequest ReadOp(OpCode type, ref JuteReader reader) => type switch
    {
        OpCode.Create or OpCode.Create2 or OpCode.CreateContainer => CreateRequest.Read(ref reader),
        OpCode.CreateTtl => CreateTtlRequest.Read(ref reader),
        OpCode.Delete => DeleteRequest.Read(ref reader),
        OpCode.SetData => SetDataRequest.Read(ref reader),
        OpCode.Check => CheckVersionRequest.Read(ref reader),
        OpCode.GetData => GetDataRequest.Read(ref reader),
        OpCode.GetChildren => GetChildrenRequest.Read(ref reader),
        _ => throw new ProtocolException(ProtocolError.UnsupportedOperation, $"Opcode {(int)type} is not allowed in a multi."),
    };
}

/// <summary>One operation's outcome in a <see cref="MultiResponse"/>.</summary>
public abstract record OpResult : IJuteWritable
{
    /// <summary>The type written in the result's header: the op's opcode, or <see cref="OpCode.Error"/>.</summary>
    public abstract OpCode Type { get; }

    public abstract void Write(ref JuteWriter writer);
}

/// <summary>create's result: the created path.</summary>
public sealed record CreateResult(string Path) : OpResult
{
    public override OpCode Type => OpCode.Create;

    public override void Write(ref JuteWriter writer) => writer.WriteString(Path);
}

/// <summary>create2's result: the created path and the new node's stat.</summary>
public sealed record Create2Result(string Path, Stat Stat) : OpResult
{
    public override OpCode Type => OpCode.Create2;

    public override void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteStat(Stat);
    }
}

public sealed record DeleteResult : OpResult
{
    public static DeleteResult Instance { get; } = new();

    public override OpCode Type => OpCode.Delete;

    public override void Write(ref JuteWriter writer)
    {
    }
}

public sealed record CheckResult : OpResult
{
    public static CheckResult Instance { get; } = new();

    public override OpCode Type => OpCode.Check;

    public override void Write(ref JuteWriter writer)
    {
    }
}

public sealed record SetDataResult(Stat Stat) : OpResult
{
    public override OpCode Type => OpCode.SetData;

    public override void Write(ref JuteWriter writer) => writer.WriteStat(Stat);
}

public sealed record GetDataResult(byte[]? Data, Stat Stat) : OpResult
{
    public override OpCode Type => OpCode.GetData;

    public override void Write(ref JuteWriter writer)
    {
        writer.WriteBuffer(Data);
        writer.WriteStat(Stat);
    }
}

public sealed record GetChildrenResult(IReadOnlyList<string> Children) : OpResult
{
    public override OpCode Type => OpCode.GetChildren;

    public override void Write(ref JuteWriter writer) => writer.WriteStringList(Children);
}

/// <summary>
/// A failed (or, in a failed multi, skipped) operation. ZooKeeper reports Ok for the ops before the
/// one that failed and RuntimeInconsistency for those after it.
/// </summary>
public sealed record ErrorResult(ErrorCode Err) : OpResult
{
    public override OpCode Type => OpCode.Error;

    public override void Write(ref JuteWriter writer) => writer.WriteInt32((int)Err);
}

/// <summary>
/// The reply to multi and multiRead: each result prefixed by a <see cref="MultiHeader"/> carrying its
/// type (and, for an error, its code in the header too), then the terminator header (-1, done, -1).
/// </summary>
public readonly record struct MultiResponse(IReadOnlyList<OpResult> Results) : IJuteRecord<MultiResponse>
{
    public static MultiResponse Read(ref JuteReader reader)
    {
        var results = new List<OpResult>();
        var header = MultiHeader.Read(ref reader);
        while (!header.Done)
        {
            results.Add(ReadResult(header.Type, ref reader));
            header = MultiHeader.Read(ref reader);
        }
        return new MultiResponse(results);
    }

    public void Write(ref JuteWriter writer)
    {
        for (int i = 0; i < Results.Count; i++)
        {
            OpResult result = Results[i];
            ErrorCode err = result is ErrorResult error ? error.Err : ErrorCode.Ok;
            new MultiHeader(result.Type, false, err).Write(ref writer);
            result.Write(ref writer);
        }
        MultiHeader.Terminator.Write(ref writer);
    }

    private static OpResult ReadResult(OpCode type, ref JuteReader reader)
    {
        switch (type)
        {
            case OpCode.Create:
                return new CreateResult(reader.ReadRequiredString());
            case OpCode.Create2:
                string path = reader.ReadRequiredString();
                return new Create2Result(path, reader.ReadStat());
            case OpCode.Delete:
                return DeleteResult.Instance;
            case OpCode.Check:
                return CheckResult.Instance;
            case OpCode.SetData:
                return new SetDataResult(reader.ReadStat());
            case OpCode.GetData:
                byte[]? data = reader.ReadBuffer();
                return new GetDataResult(data, reader.ReadStat());
            case OpCode.GetChildren:
                return new GetChildrenResult(reader.ReadStringList());
            case OpCode.Error:
                return new ErrorResult((ErrorCode)reader.ReadInt32());
            default:
                ProtocolException.Throw(ProtocolError.UnsupportedOperation, $"Opcode {(int)type} is not a multi result.");
                return null;
        }
    }
}
