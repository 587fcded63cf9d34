namespace Colony.Coordination.Security;

/// <summary>Decides whether a client's authenticated ids grant a permission under a node's ACL.</summary>
public static class AclCheck
{
    /// <summary>
    /// True if <paramref name="auth"/> may do <paramref name="perm"/> under <paramref name="acl"/>: the ACL
    /// is empty, an id is a super id, an entry with the permission is world:anyone, or an entry with the
    /// permission names an id of the same scheme that the scheme matches (digest: equal; ip: in the range).
    /// </summary>
    public static bool Allows(IReadOnlyList<Acl> acl, Perms perm, IReadOnlyList<Id> auth)
    {
        ArgumentNullException.ThrowIfNull(acl);
        ArgumentNullException.ThrowIfNull(auth);
        if (acl.Count == 0)
        {
            return true;
        }
        foreach (var id in auth)
        {
            if (id.Scheme == AuthSchemes.Super)
            {
                return true;
            }
        }
        foreach (var entry in acl)
        {
            if ((entry.Perms & perm) == 0)
            {
                continue;
            }
            if (entry.Id == Id.Anyone)
            {
                return true;
            }
            foreach (var id in auth)
            {
                if (AuthSchemes.Matches(entry.Id, id))
                {
                    return true;
                }
            }
        }
        return false;
    }
}
