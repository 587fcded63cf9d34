namespace Colony.Coordination;

/// <summary>ZooKeeper permission bits (ZooDefs.Perms).</summary>
[Flags]
public enum Perms
{
    None = 0,
    Read = 1,
    Write = 2,
    Create = 4,
    Delete = 8,
    Admin = 16,
    All = Read | Write | Create | Delete | Admin,
}

/// <summary>An authenticated identity or ACL subject: a scheme ("world", "auth", "digest", "ip", "super") and an id within it.</summary>
public readonly record struct Id(string Scheme, string Identity)
{
    public static readonly Id Anyone = new("world", "anyone");

    /// <summary>In an ACL, stands for every identity the creating session has authenticated as.</summary>
    public static readonly Id Creator = new("auth", "");

    public override string ToString() => $"{Scheme}:{Identity}";
}

/// <summary>One ACL entry: the permissions granted to an id.</summary>
public readonly record struct Acl(Perms Perms, Id Id)
{
    public static readonly IReadOnlyList<Acl> OpenUnsafe = [new Acl(Perms.All, Id.Anyone)];
    public static readonly IReadOnlyList<Acl> CreatorAll = [new Acl(Perms.All, Id.Creator)];
    public static readonly IReadOnlyList<Acl> ReadUnsafe = [new Acl(Perms.Read, Id.Anyone)];
}
