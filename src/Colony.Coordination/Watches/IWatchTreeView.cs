namespace Colony.Coordination.Watches;

/// <summary>What re-registering watches needs to know of the data tree: a node's stat, if the node exists.</summary>
public interface IWatchTreeView
{
    bool TryGetStat(string path, out Stat stat);
}
