namespace Colony.Coordination.Protocol;

// The shared data types (jute module org.apache.zookeeper.data) and the vectors messages use.

public ref partial struct JuteReader
{
    /// <summary>Bytes a <see cref="Stat"/> takes on the wire.</summary>
    public const int StatBytes = (6 * sizeof(long)) + (5 * sizeof(int));

    // The smallest encodings, used to bound vector counts before allocating.
    private const int MinStringBytes = sizeof(int);
    private const int MinAclBytes = sizeof(int) + (2 * MinStringBytes);

    public Stat ReadStat()
    {
        if (Remaining < StatBytes)
        {
            ProtocolException.ThrowTruncated(StatBytes, Remaining);
        }
        long czxid = ReadInt64();
        long mzxid = ReadInt64();
        long ctime = ReadInt64();
        long mtime = ReadInt64();
        int version = ReadInt32();
        int cversion = ReadInt32();
        int aversion = ReadInt32();
        long ephemeralOwner = ReadInt64();
        int dataLength = ReadInt32();
        int numChildren = ReadInt32();
        long pzxid = ReadInt64();
        return new Stat(czxid, mzxid, ctime, mtime, version, cversion, aversion, ephemeralOwner, dataLength, numChildren, pzxid);
    }

    public Id ReadId()
    {
        string scheme = ReadRequiredString();
        // Clients send the "auth" scheme's id as null (kazoo does); it means nothing there.
        string id = ReadString() ?? "";
        return new Id(scheme, id);
    }

    public Acl ReadAcl()
    {
        var perms = (Perms)ReadInt32();
        return new Acl(perms, ReadId());
    }

    /// <summary>A vector of ACLs; a null vector reads as empty (ZooKeeper rejects both the same way).</summary>
    public Acl[] ReadAclList()
    {
        int count = ReadVectorCount(MinAclBytes);
        if (count <= 0)
        {
            return [];
        }
        var acls = new Acl[count];
        for (int i = 0; i < acls.Length; i++)
        {
            acls[i] = ReadAcl();
        }
        return acls;
    }

    /// <summary>A vector of non-null ustrings; a null vector reads as empty.</summary>
    public string[] ReadStringList()
    {
        int count = ReadVectorCount(MinStringBytes);
        if (count <= 0)
        {
            return [];
        }
        var items = new string[count];
        for (int i = 0; i < items.Length; i++)
        {
            items[i] = ReadRequiredString();
        }
        return items;
    }
}

public ref partial struct JuteWriter
{
    /// <summary>
    /// Writes a stat as a client sees it: containers and TTL nodes keep their kind in the ephemeral
    /// owner, and ZooKeeper shows clients 0 there, as for any node no session owns.
    /// </summary>
    public void WriteStat(in Stat stat)
    {
        WriteInt64(stat.Czxid);
        WriteInt64(stat.Mzxid);
        WriteInt64(stat.Ctime);
        WriteInt64(stat.Mtime);
        WriteInt32(stat.Version);
        WriteInt32(stat.Cversion);
        WriteInt32(stat.Aversion);
        WriteInt64(Tree.EphemeralOwner.KindOf(stat.EphemeralOwner) == Tree.NodeKind.Ephemeral ? stat.EphemeralOwner : 0);
        WriteInt32(stat.DataLength);
        WriteInt32(stat.NumChildren);
        WriteInt64(stat.Pzxid);
    }

    public void WriteId(in Id id)
    {
        WriteString(id.Scheme);
        WriteString(id.Identity);
    }

    public void WriteAcl(in Acl acl)
    {
        WriteInt32((int)acl.Perms);
        WriteId(acl.Id);
    }

    public void WriteAclList(IReadOnlyList<Acl> acls)
    {
        WriteVectorCount(acls.Count);
        for (int i = 0; i < acls.Count; i++)
        {
            WriteAcl(acls[i]);
        }
    }

    public void WriteStringList(IReadOnlyList<string> items)
    {
        WriteVectorCount(items.Count);
        for (int i = 0; i < items.Count; i++)
        {
            WriteString(items[i]);
        }
    }
}
