namespace Colony.Coordination.Security;

/// <summary>Turns the ACL a client asks for into the ACL a node stores, or rejects it.</summary>
public static class AclFixup
{
    /// <summary>
    /// Drops repeated entries (first one wins), expands each <c>auth</c> entry to one entry per
    /// authenticated id of the session (with the same permissions), and checks every other entry's id.
    /// Returns false (ZooKeeper's InvalidACL) if the list is empty, an id is malformed or of an unknown
    /// scheme, or an <c>auth</c> entry finds no authenticated id.
    /// </summary>
    public static bool TryFixup(IReadOnlyList<Acl> requested, IReadOnlyList<Id> auth, out IReadOnlyList<Acl> stored)
    {
        ArgumentNullException.ThrowIfNull(requested);
        ArgumentNullException.ThrowIfNull(auth);
        stored = [];
        var unique = new List<Acl>(requested.Count);
        foreach (var entry in requested)
        {
            if (!unique.Contains(entry))
            {
                unique.Add(entry);
            }
        }
        if (unique.Count == 0)
        {
            return false;
        }
        var result = new List<Acl>(unique.Count);
        foreach (var entry in unique)
        {
            if (entry.Id.Scheme is null || entry.Id.Identity is null)
            {
                return false;
            }
            if (entry.Id.Scheme == AuthSchemes.Auth)
            {
                bool expanded = false;
                foreach (var id in auth)
                {
                    if (id.Scheme is not null && AuthSchemes.IsAuthenticated(id.Scheme))
                    {
                        result.Add(new Acl(entry.Perms, id));
                        expanded = true;
                    }
                }
                if (!expanded)
                {
                    return false;
                }
            }
            else if (AuthSchemes.IsValidAclId(entry.Id))
            {
                result.Add(entry);
            }
            else
            {
                return false;
            }
        }
        stored = result;
        return true;
    }
}
