using System.Globalization;

namespace Colony.Coordination.Reconfig;

/// <summary>One membership change a reconfig takes; Colony's Raft changes one member at a time.</summary>
public enum ReconfigStepKind
{
    /// <summary>Adds a server that is not a member as an observer (a Raft learner), recording its addresses.</summary>
    AddObserver,

    /// <summary>Makes an observer a participant (a Raft voter).</summary>
    Promote,

    /// <summary>Takes a member out of the ensemble.</summary>
    Remove,
}

public sealed record ReconfigStep(ReconfigStepKind Kind, ServerSpec Server);

/// <summary>
/// A reconfig request turned into the ensemble it asks for and the single-member changes that get
/// there from the current one: additions and promotions first, then demotions, then removals, so
/// the ensemble never shrinks before it has grown.
/// </summary>
public sealed record ReconfigPlan(IReadOnlyList<ServerSpec> Target, IReadOnlyList<ReconfigStep> Steps)
{
    /// <summary>
    /// Plans an incremental reconfig (<paramref name="joining"/> and <paramref name="leaving"/>, comma
    /// separated, as ZooKeeper's client sends them) or a whole new membership (<paramref name="newMembers"/>).
    /// A leaving id that is not a member is ignored, as ZooKeeper ignores it. Errors are BadArguments.
    /// Servers are taken as named: see the overload with addresses for host names.
    /// </summary>
    public static bool TryCreate(IReadOnlyList<ServerSpec> current, string? joining, string? leaving, string? newMembers,
        out ReconfigPlan plan, out string error) =>
        TryCreate(current, joining, leaving, newMembers, null, out plan, out error);

    /// <summary>
    /// As above, with each server's host names replaced by the address they resolved to (<paramref name="addresses"/>,
    /// from a lookup of <see cref="HostNames"/>): a name missing from it did not resolve, and the request is refused.
    /// Null takes the servers as named.
    /// </summary>
    public static bool TryCreate(IReadOnlyList<ServerSpec> current, string? joining, string? leaving, string? newMembers,
        IReadOnlyDictionary<string, string>? addresses, out ReconfigPlan plan, out string error)
    {
        plan = null!;
        bool incremental = !string.IsNullOrWhiteSpace(joining) || !string.IsNullOrWhiteSpace(leaving);
        if (incremental && !string.IsNullOrWhiteSpace(newMembers))
        {
            error = "either joining/leaving servers or new members, not both";
            return false;
        }
        var target = current.ToDictionary(s => s.Id);
        if (incremental)
        {
            if (!TryParseSpecs(joining, addresses, out var joiners, out error) || !TryParseIds(leaving, out var leavers, out error))
            {
                return false;
            }
            if (joiners.FirstOrDefault(j => leavers.Contains(j.Id)) is { } both)
            {
                error = $"server {both.Id} is both joining and leaving";
                return false;
            }
            foreach (var joiner in joiners)
            {
                target[joiner.Id] = joiner;
            }
            foreach (ulong id in leavers)
            {
                target.Remove(id);
            }
        }
        else
        {
            if (!TryParseSpecs(newMembers, addresses, out var members, out error))
            {
                return false;
            }
            target = members.ToDictionary(s => s.Id);
        }
        if (!target.Values.Any(s => s.Role == ServerRole.Participant))
        {
            error = "the new configuration must have at least one participant";
            return false;
        }
        var steps = new List<ReconfigStep>();
        var demotions = new List<ReconfigStep>();
        foreach (var wanted in target.Values.OrderBy(s => s.Id))
        {
            var existing = current.FirstOrDefault(s => s.Id == wanted.Id);
            if (existing is null)
            {
                steps.Add(new ReconfigStep(ReconfigStepKind.AddObserver, wanted));
                if (wanted.Role == ServerRole.Participant)
                {
                    steps.Add(new ReconfigStep(ReconfigStepKind.Promote, wanted));
                }
                continue;
            }
            if (existing.PeerAddress != wanted.PeerAddress)
            {
                error = $"server {wanted.Id} is at {existing.PeerAddress}, not {wanted.PeerAddress}: a member's address cannot change";
                return false;
            }
            if (existing.Role == ServerRole.Observer && wanted.Role == ServerRole.Participant)
            {
                steps.Add(new ReconfigStep(ReconfigStepKind.Promote, wanted));
            }
            else if (existing.Role == ServerRole.Participant && wanted.Role == ServerRole.Observer)
            {
                demotions.Add(new ReconfigStep(ReconfigStepKind.Remove, existing));
                demotions.Add(new ReconfigStep(ReconfigStepKind.AddObserver, wanted));
            }
        }
        steps.AddRange(demotions);
        steps.AddRange(current.Where(s => !target.ContainsKey(s.Id)).OrderBy(s => s.Id).Select(s => new ReconfigStep(ReconfigStepKind.Remove, s)));
        plan = new ReconfigPlan([.. target.Values.OrderBy(s => s.Id)], steps);
        error = "";
        return true;
    }

    /// <summary>
    /// The host names (not IP addresses) that the servers of a request name, each once: what the node must look
    /// up before it plans. A server that does not parse is left out; planning refuses it.
    /// </summary>
    public static IReadOnlyList<string> HostNames(string? joining, string? newMembers)
    {
        var names = new List<string>();
        foreach (string item in Split(joining).Concat(Split(newMembers)))
        {
            if (ServerSpec.TryParse(item, out var spec, out _))
            {
                names.AddRange(spec.HostNames().Where(n => !names.Contains(n, StringComparer.OrdinalIgnoreCase)));
            }
        }
        return names;
    }

    private static bool TryParseSpecs(string? list, IReadOnlyDictionary<string, string>? addresses, out List<ServerSpec> specs, out string error)
    {
        specs = [];
        error = "";
        foreach (string item in Split(list))
        {
            if (!ServerSpec.TryParse(item, out var spec, out error))
            {
                return false;
            }
            if (addresses is not null)
            {
                if (!spec.TryResolve(addresses, out spec, out string unresolved))
                {
                    error = $"server {spec.Id}: host '{unresolved}' does not resolve";
                    return false;
                }
            }
            if (specs.Any(s => s.Id == spec.Id))
            {
                error = $"server {spec.Id} is named twice";
                return false;
            }
            specs.Add(spec);
        }
        return true;
    }

    private static bool TryParseIds(string? list, out HashSet<ulong> ids, out string error)
    {
        ids = [];
        error = "";
        foreach (string item in Split(list))
        {
            if (!ulong.TryParse(item, NumberStyles.None, CultureInfo.InvariantCulture, out ulong id) || id == 0)
            {
                error = $"'{item}' is not a server id";
                return false;
            }
            ids.Add(id);
        }
        return true;
    }

    private static IEnumerable<string> Split(string? list) =>
        (list ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
