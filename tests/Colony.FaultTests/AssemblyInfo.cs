// Each bed runs several node processes that fsync, in namespaces of their own: one bed at a time, so
// that a 2-core machine is not oversubscribed and the faults, not the scheduler, decide what happens.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
