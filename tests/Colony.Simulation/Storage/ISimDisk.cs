using Colony.Consensus;
using Colony.Core;

namespace Colony.Simulation.Storage;

/// <summary>
/// A node's disk: it outlives the node's crashes. Each incarnation of the node opens a fresh store on
/// it; a crash keeps what was synced and loses (or tears) what was not.
/// </summary>
internal interface ISimDisk
{
    /// <summary>Opens the store for a new incarnation of the node.</summary>
    IRaftLogStore Open();

    /// <summary>Power loss: unsynced writes are lost, except that some prefix of them may have reached the platter, the last one possibly torn.</summary>
    void Crash(IRandomSource random);
}
