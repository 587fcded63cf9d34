namespace Colony.Coordination.Protocol;

/// <summary>The xids ZooKeeper reserves for messages that answer no request.</summary>
public static class SpecialXid
{
    /// <summary>A watch notification from the server.</summary>
    public const int Notification = -1;

    /// <summary>A ping and its reply.</summary>
    public const int Ping = -2;

    /// <summary>An auth packet and its reply.</summary>
    public const int Auth = -4;

    /// <summary>SetWatches / SetWatches2 after a reconnect, and its reply.</summary>
    public const int SetWatches = -8;
}

/// <summary>Precedes every request after the connect handshake.</summary>
public readonly record struct RequestHeader(int Xid, OpCode Type) : IJuteRecord<RequestHeader>
{
    public const int Bytes = 8;

    public static RequestHeader Read(ref JuteReader reader)
    {
        int xid = reader.ReadInt32();
        return new RequestHeader(xid, (OpCode)reader.ReadInt32());
    }

    public void Write(ref JuteWriter writer)
    {
        writer.WriteInt32(Xid);
        writer.WriteInt32((int)Type);
    }
}

/// <summary>Precedes every reply and notification: the request's xid, the zxid the server had reached, and the result.</summary>
public readonly record struct ReplyHeader(int Xid, long Zxid, ErrorCode Err) : IJuteRecord<ReplyHeader>
{
    public const int Bytes = 16;

    public static ReplyHeader Read(ref JuteReader reader)
    {
        int xid = reader.ReadInt32();
        long zxid = reader.ReadInt64();
        return new ReplyHeader(xid, zxid, (ErrorCode)reader.ReadInt32());
    }

    public void Write(ref JuteWriter writer)
    {
        writer.WriteInt32(Xid);
        writer.WriteInt64(Zxid);
        writer.WriteInt32((int)Err);
    }
}

/// <summary>Precedes each operation (or result) inside a multi; a header with Done ends the list.</summary>
public readonly record struct MultiHeader(OpCode Type, bool Done, ErrorCode Err) : IJuteRecord<MultiHeader>
{
    /// <summary>The header that ends every multi request and response: type -1, done, err -1.</summary>
    public static MultiHeader Terminator => new(OpCode.Error, true, (ErrorCode)(-1));

    public static MultiHeader Read(ref JuteReader reader)
    {
        var type = (OpCode)reader.ReadInt32();
        bool done = reader.ReadBool();
        return new MultiHeader(type, done, (ErrorCode)reader.ReadInt32());
    }

    public void Write(ref JuteWriter writer)
    {
        writer.WriteInt32((int)Type);
        writer.WriteBool(Done);
        writer.WriteInt32((int)Err);
    }
}
