namespace Colony.Coordination.Protocol;

// Reply bodies. They are structs: a server builds one per reply and writes it at once, so they
// cost no allocation beyond the data they point at.

/// <summary>The body of a reply that carries none (delete, ping, closeSession, setWatches, auth, addWatch, removeWatches, checkWatches, errors).</summary>
public readonly record struct EmptyResponse : IJuteRecord<EmptyResponse>
{
    public static EmptyResponse Read(ref JuteReader reader) => default;

    public void Write(ref JuteWriter writer)
    {
    }
}

/// <summary>create's reply: the created path (with any sequential suffix).</summary>
public readonly record struct CreateResponse(string Path) : IJuteRecord<CreateResponse>
{
    public static CreateResponse Read(ref JuteReader reader) => new(reader.ReadRequiredString());

    public void Write(ref JuteWriter writer) => writer.WriteString(Path);
}

/// <summary>create2's, createContainer's and createTTL's reply: the created path and the new node's stat.</summary>
public readonly record struct Create2Response(string Path, Stat Stat) : IJuteRecord<Create2Response>
{
    public static Create2Response Read(ref JuteReader reader)
    {
        string path = reader.ReadRequiredString();
        return new Create2Response(path, reader.ReadStat());
    }

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteStat(Stat);
    }
}

/// <summary>exists's reply when the node exists (otherwise the reply header says NoNode and no body follows).</summary>
public readonly record struct ExistsResponse(Stat Stat) : IJuteRecord<ExistsResponse>
{
    public static ExistsResponse Read(ref JuteReader reader) => new(reader.ReadStat());

    public void Write(ref JuteWriter writer) => writer.WriteStat(Stat);
}

public readonly record struct GetDataResponse(byte[]? Data, Stat Stat) : IJuteRecord<GetDataResponse>
{
    public static GetDataResponse Read(ref JuteReader reader)
    {
        byte[]? data = reader.ReadBuffer();
        return new GetDataResponse(data, reader.ReadStat());
    }

    public void Write(ref JuteWriter writer)
    {
        writer.WriteBuffer(Data);
        writer.WriteStat(Stat);
    }
}

public readonly record struct SetDataResponse(Stat Stat) : IJuteRecord<SetDataResponse>
{
    public static SetDataResponse Read(ref JuteReader reader) => new(reader.ReadStat());

    public void Write(ref JuteWriter writer) => writer.WriteStat(Stat);
}

public readonly record struct GetAclResponse(IReadOnlyList<Acl> Acls, Stat Stat) : IJuteRecord<GetAclResponse>
{
    public static GetAclResponse Read(ref JuteReader reader)
    {
        Acl[] acls = reader.ReadAclList();
        return new GetAclResponse(acls, reader.ReadStat());
    }

    public void Write(ref JuteWriter writer)
    {
        writer.WriteAclList(Acls);
        writer.WriteStat(Stat);
    }
}

public readonly record struct SetAclResponse(Stat Stat) : IJuteRecord<SetAclResponse>
{
    public static SetAclResponse Read(ref JuteReader reader) => new(reader.ReadStat());

    public void Write(ref JuteWriter writer) => writer.WriteStat(Stat);
}

/// <summary>getChildren's reply: child names, not full paths.</summary>
public readonly record struct GetChildrenResponse(IReadOnlyList<string> Children) : IJuteRecord<GetChildrenResponse>
{
    public static GetChildrenResponse Read(ref JuteReader reader) => new(reader.ReadStringList());

    public void Write(ref JuteWriter writer) => writer.WriteStringList(Children);
}

public readonly record struct GetChildren2Response(IReadOnlyList<string> Children, Stat Stat) : IJuteRecord<GetChildren2Response>
{
    public static GetChildren2Response Read(ref JuteReader reader)
    {
        string[] children = reader.ReadStringList();
        return new GetChildren2Response(children, reader.ReadStat());
    }

    public void Write(ref JuteWriter writer)
    {
        writer.WriteStringList(Children);
        writer.WriteStat(Stat);
    }
}

public readonly record struct SyncResponse(string Path) : IJuteRecord<SyncResponse>
{
    public static SyncResponse Read(ref JuteReader reader) => new(reader.ReadRequiredString());

    public void Write(ref JuteWriter writer) => writer.WriteString(Path);
}

public readonly record struct GetAllChildrenNumberResponse(int TotalNumber) : IJuteRecord<GetAllChildrenNumberResponse>
{
    public static GetAllChildrenNumberResponse Read(ref JuteReader reader) => new(reader.ReadInt32());

    public void Write(ref JuteWriter writer) => writer.WriteInt32(TotalNumber);
}

public readonly record struct GetEphemeralsResponse(IReadOnlyList<string> Ephemerals) : IJuteRecord<GetEphemeralsResponse>
{
    public static GetEphemeralsResponse Read(ref JuteReader reader) => new(reader.ReadStringList());

    public void Write(ref JuteWriter writer) => writer.WriteStringList(Ephemerals);
}

/// <summary>One identity a session has authenticated as, as whoAmI reports it.</summary>
public readonly record struct ClientInfo(string AuthScheme, string User) : IJuteRecord<ClientInfo>
{
    public static ClientInfo Read(ref JuteReader reader)
    {
        string scheme = reader.ReadRequiredString();
        return new ClientInfo(scheme, reader.ReadRequiredString());
    }

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(AuthScheme);
        writer.WriteString(User);
    }
}

public readonly record struct WhoAmIResponse(IReadOnlyList<ClientInfo> ClientInfo) : IJuteRecord<WhoAmIResponse>
{
    private const int MinClientInfoBytes = 2 * sizeof(int);

    public static WhoAmIResponse Read(ref JuteReader reader)
    {
        int count = reader.ReadVectorCount(MinClientInfoBytes);
        if (count <= 0)
        {
            return new WhoAmIResponse([]);
        }
        var infos = new ClientInfo[count];
        for (int i = 0; i < infos.Length; i++)
        {
            infos[i] = Protocol.ClientInfo.Read(ref reader);
        }
        return new WhoAmIResponse(infos);
    }

    public void Write(ref JuteWriter writer)
    {
        writer.WriteVectorCount(ClientInfo.Count);
        for (int i = 0; i < ClientInfo.Count; i++)
        {
            ClientInfo[i].Write(ref writer);
        }
    }
}

/// <summary>A failed operation's result inside a multi response; also the body of addWatch's reply (0).</summary>
public readonly record struct ErrorResponse(ErrorCode Err) : IJuteRecord<ErrorResponse>
{
    public static ErrorResponse Read(ref JuteReader reader) => new((ErrorCode)reader.ReadInt32());

    public void Write(ref JuteWriter writer) => writer.WriteInt32((int)Err);
}

/// <summary>SASL's reply (ZooKeeper's SetSASLResponse): the server's next token, a challenge or its final proof.</summary>
public readonly record struct SaslResponse(byte[] Token) : IJuteRecord<SaslResponse>
{
    public static SaslResponse Read(ref JuteReader reader) => new(reader.ReadBufferOrEmpty());

    public void Write(ref JuteWriter writer) => writer.WriteBuffer(Token);
}
