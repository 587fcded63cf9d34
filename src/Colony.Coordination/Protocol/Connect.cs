namespace Colony.Coordination.Protocol;

/// <summary>
/// A connection's first frame (it has no request header). <see cref="ReadOnly"/> trails the jute
/// record and clients before 3.3 omit it, so it reads as false when the frame ends first.
/// </summary>
public readonly record struct ConnectRequest(
    int ProtocolVersion,
    long LastZxidSeen,
    int TimeOut,
    long SessionId,
    byte[] Password,
    bool ReadOnly) : IJuteRecord<ConnectRequest>
{
    public static ConnectRequest Read(ref JuteReader reader)
    {
        int protocolVersion = reader.ReadInt32();
        long lastZxidSeen = reader.ReadInt64();
        int timeOut = reader.ReadInt32();
        long sessionId = reader.ReadInt64();
        byte[] password = reader.ReadBufferOrEmpty();
        bool readOnly = !reader.End && reader.ReadBool();
        return new ConnectRequest(protocolVersion, lastZxidSeen, timeOut, sessionId, password, readOnly);
    }

    public void Write(ref JuteWriter writer)
    {
        writer.WriteInt32(ProtocolVersion);
        writer.WriteInt64(LastZxidSeen);
        writer.WriteInt32(TimeOut);
        writer.WriteInt64(SessionId);
        writer.WriteBuffer(Password);
        writer.WriteBool(ReadOnly);
    }
}

/// <summary>The answer to a <see cref="ConnectRequest"/>; a non-positive <see cref="TimeOut"/> means the session expired.</summary>
public readonly record struct ConnectResponse(
    int ProtocolVersion,
    int TimeOut,
    long SessionId,
    byte[] Password,
    bool ReadOnly) : IJuteRecord<ConnectResponse>
{
    public static ConnectResponse Read(ref JuteReader reader)
    {
        int protocolVersion = reader.ReadInt32();
        int timeOut = reader.ReadInt32();
        long sessionId = reader.ReadInt64();
        byte[] password = reader.ReadBufferOrEmpty();
        bool readOnly = !reader.End && reader.ReadBool();
        return new ConnectResponse(protocolVersion, timeOut, sessionId, password, readOnly);
    }

    public void Write(ref JuteWriter writer)
    {
        writer.WriteInt32(ProtocolVersion);
        writer.WriteInt32(TimeOut);
        writer.WriteInt64(SessionId);
        writer.WriteBuffer(Password);
        writer.WriteBool(ReadOnly);
    }
}
