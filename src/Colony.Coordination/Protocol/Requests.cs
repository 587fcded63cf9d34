namespace Colony.Coordination.Protocol;

/// <summary>
/// A decoded request body. The opcode lives in the <see cref="RequestHeader"/> beside it, because
/// some bodies serve several opcodes (create, create2 and createContainer share one).
/// Bodies are classes: a server queues them per session, so they would be boxed anyway.
/// </summary>
public abstract record ClientRequest : IJuteWritable
{
    public abstract void Write(ref JuteWriter writer);
}

/// <summary>The body of ping, closeSession and whoAmI: nothing.</summary>
public sealed record EmptyRequest : ClientRequest, IJuteRecord<EmptyRequest>
{
    public static EmptyRequest Instance { get; } = new();

    private EmptyRequest()
    {
    }

    public static EmptyRequest Read(ref JuteReader reader) => Instance;

    public override void Write(ref JuteWriter writer)
    {
    }
}

/// <summary>create, create2 and createContainer.</summary>
public sealed record CreateRequest(string Path, byte[]? Data, IReadOnlyList<Acl> Acls, CreateMode Mode)
    : ClientRequest, IJuteRecord<CreateRequest>
{
    public static CreateRequest Read(ref JuteReader reader)
    {
        string path = reader.ReadRequiredString();
        byte[]? data = reader.ReadBuffer();
        Acl[] acls = reader.ReadAclList();
        return new CreateRequest(path, data, acls, (CreateMode)reader.ReadInt32());
    }

    public override void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteBuffer(Data);
        writer.WriteAclList(Acls);
        writer.WriteInt32((int)Mode);
    }
}

/// <summary>createTTL: a create whose node expires <see cref="Ttl"/> milliseconds after its last change once it has no children.</summary>
public sealed record CreateTtlRequest(string Path, byte[]? Data, IReadOnlyList<Acl> Acls, CreateMode Mode, long Ttl)
    : ClientRequest, IJuteRecord<CreateTtlRequest>
{
    public static CreateTtlRequest Read(ref JuteReader reader)
    {
        string path = reader.ReadRequiredString();
        byte[]? data = reader.ReadBuffer();
        Acl[] acls = reader.ReadAclList();
        var mode = (CreateMode)reader.ReadInt32();
        return new CreateTtlRequest(path, data, acls, mode, reader.ReadInt64());
    }

    public override void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteBuffer(Data);
        writer.WriteAclList(Acls);
        writer.WriteInt32((int)Mode);
        writer.WriteInt64(Ttl);
    }
}

/// <summary>delete; version -1 matches any version.</summary>
public sealed record DeleteRequest(string Path, int Version) : ClientRequest, IJuteRecord<DeleteRequest>
{
    public static DeleteRequest Read(ref JuteReader reader)
    {
        string path = reader.ReadRequiredString();
        return new DeleteRequest(path, reader.ReadInt32());
    }

    public override void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteInt32(Version);
    }
}

/// <summary>check (inside a multi): fails unless the node's version matches; -1 only checks existence.</summary>
public sealed record CheckVersionRequest(string Path, int Version) : ClientRequest, IJuteRecord<CheckVersionRequest>
{
    public static CheckVersionRequest Read(ref JuteReader reader)
    {
        string path = reader.ReadRequiredString();
        return new CheckVersionRequest(path, reader.ReadInt32());
    }

    public override void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteInt32(Version);
    }
}

public sealed record ExistsRequest(string Path, bool Watch) : ClientRequest, IJuteRecord<ExistsRequest>
{
    public static ExistsRequest Read(ref JuteReader reader)
    {
        string path = reader.ReadRequiredString();
        return new ExistsRequest(path, reader.ReadBool());
    }

    public override void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteBool(Watch);
    }
}

public sealed record GetDataRequest(string Path, bool Watch) : ClientRequest, IJuteRecord<GetDataRequest>
{
    public static GetDataRequest Read(ref JuteReader reader)
    {
        string path = reader.ReadRequiredString();
        return new GetDataRequest(path, reader.ReadBool());
    }

    public override void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteBool(Watch);
    }
}

public sealed record SetDataRequest(string Path, byte[]? Data, int Version) : ClientRequest, IJuteRecord<SetDataRequest>
{
    public static SetDataRequest Read(ref JuteReader reader)
    {
        string path = reader.ReadRequiredString();
        byte[]? data = reader.ReadBuffer();
        return new SetDataRequest(path, data, reader.ReadInt32());
    }

    public override void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteBuffer(Data);
        writer.WriteInt32(Version);
    }
}

public sealed record GetAclRequest(string Path) : ClientRequest, IJuteRecord<GetAclRequest>
{
    public static GetAclRequest Read(ref JuteReader reader) => new(reader.ReadRequiredString());

    public override void Write(ref JuteWriter writer) => writer.WriteString(Path);
}

public sealed record SetAclRequest(string Path, IReadOnlyList<Acl> Acls, int Version) : ClientRequest, IJuteRecord<SetAclRequest>
{
    public static SetAclRequest Read(ref JuteReader reader)
    {
        string path = reader.ReadRequiredString();
        Acl[] acls = reader.ReadAclList();
        return new SetAclRequest(path, acls, reader.ReadInt32());
    }

    public override void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteAclList(Acls);
        writer.WriteInt32(Version);
    }
}

public sealed record GetChildrenRequest(string Path, bool Watch) : ClientRequest, IJuteRecord<GetChildrenRequest>
{
    public static GetChildrenRequest Read(ref JuteReader reader)
    {
        string path = reader.ReadRequiredString();
        return new GetChildrenRequest(path, reader.ReadBool());
    }

    public override void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteBool(Watch);
    }
}

/// <summary>getChildren2: getChildren whose reply also carries the parent's stat.</summary>
public sealed record GetChildren2Request(string Path, bool Watch) : ClientRequest, IJuteRecord<GetChildren2Request>
{
    public static GetChildren2Request Read(ref JuteReader reader)
    {
        string path = reader.ReadRequiredString();
        return new GetChildren2Request(path, reader.ReadBool());
    }

    public override void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteBool(Watch);
    }
}

public sealed record SyncRequest(string Path) : ClientRequest, IJuteRecord<SyncRequest>
{
    public static SyncRequest Read(ref JuteReader reader) => new(reader.ReadRequiredString());

    public override void Write(ref JuteWriter writer) => writer.WriteString(Path);
}

public sealed record GetAllChildrenNumberRequest(string Path) : ClientRequest, IJuteRecord<GetAllChildrenNumberRequest>
{
    public static GetAllChildrenNumberRequest Read(ref JuteReader reader) => new(reader.ReadRequiredString());

    public override void Write(ref JuteWriter writer) => writer.WriteString(Path);
}

/// <summary>getEphemerals: the session's ephemeral nodes under a path prefix ("/" for all).</summary>
public sealed record GetEphemeralsRequest(string PrefixPath) : ClientRequest, IJuteRecord<GetEphemeralsRequest>
{
    public static GetEphemeralsRequest Read(ref JuteReader reader) => new(reader.ReadRequiredString());

    public override void Write(ref JuteWriter writer) => writer.WriteString(PrefixPath);
}

/// <summary>reconfig: decoded only so the server can refuse it cleanly.</summary>
public sealed record ReconfigRequest(string? JoiningServers, string? LeavingServers, string? NewMembers, long CurConfigId)
    : ClientRequest, IJuteRecord<ReconfigRequest>
{
    public static ReconfigRequest Read(ref JuteReader reader)
    {
        string? joining = reader.ReadString();
        string? leaving = reader.ReadString();
        string? members = reader.ReadString();
        return new ReconfigRequest(joining, leaving, members, reader.ReadInt64());
    }

    public override void Write(ref JuteWriter writer)
    {
        writer.WriteString(JoiningServers);
        writer.WriteString(LeavingServers);
        writer.WriteString(NewMembers);
        writer.WriteInt64(CurConfigId);
    }
}

/// <summary>A SASL token (opcode sasl); decoded only so the server can refuse it cleanly.</summary>
public sealed record SaslRequest(byte[] Token) : ClientRequest, IJuteRecord<SaslRequest>
{
    public static SaslRequest Read(ref JuteReader reader) => new(reader.ReadBufferOrEmpty());

    public override void Write(ref JuteWriter writer) => writer.WriteBuffer(Token);
}

/// <summary>addAuth, sent with xid <see cref="SpecialXid.Auth"/>; <see cref="Type"/> is always 0 in practice.</summary>
public sealed record AuthPacket(int Type, string Scheme, byte[] Auth) : ClientRequest, IJuteRecord<AuthPacket>
{
    public static AuthPacket Read(ref JuteReader reader)
    {
        int type = reader.ReadInt32();
        string scheme = reader.ReadRequiredString();
        return new AuthPacket(type, scheme, reader.ReadBufferOrEmpty());
    }

    public override void Write(ref JuteWriter writer)
    {
        writer.WriteInt32(Type);
        writer.WriteString(Scheme);
        writer.WriteBuffer(Auth);
    }
}
