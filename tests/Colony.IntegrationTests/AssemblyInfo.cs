// Every test starts several node processes that fsync: run them one at a time, so that a 2-core
// machine is not oversubscribed and timings (elections, failover) mean something.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
