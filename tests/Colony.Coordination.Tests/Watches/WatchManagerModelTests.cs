using Colony.Coordination.Watches;

namespace Colony.Coordination.Tests.Watches;

/// <summary>Random operations against a plain list of registrations that applies ZooKeeper's rules literally.</summary>
public sealed class WatchManagerModelTests
{
    private static readonly string[] Paths = ["/", "/a", "/a/b", "/a/b/c", "/a/bc", "/ab", "/x", "/x/y", "/x/y/z"];
    private static readonly WatchKinds[] Kinds = [WatchKinds.Data, WatchKinds.Child, WatchKinds.Persistent, WatchKinds.PersistentRecursive];
    private static readonly EventType[] Events = [EventType.NodeCreated, EventType.NodeDeleted, EventType.NodeDataChanged, EventType.NodeChildrenChanged];
    private static readonly WatcherType[] Types = [WatcherType.Children, WatcherType.Data, WatcherType.Any];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Matches_the_reference_model(int seed)
    {
        var random = new Random(seed);
        var watches = new WatchManager();
        var model = new Model();
        for (int step = 0; step < 20_000; step++)
        {
            string path = Paths[random.Next(Paths.Length)];
            long watcherId = random.Next(1, 6);
            switch (random.Next(100))
            {
                case < 45:
                    var kind = Kinds[random.Next(Kinds.Length)];
                    Assert.Equal(model.Add(path, kind, watcherId), watches.Add(path, kind, watcherId));
                    break;
                case < 80:
                    var type = Events[random.Next(Events.Length)];
                    Assert.Equal(model.Trigger(path, type), watches.Trigger(path, type).ToArray());
                    break;
                case < 88:
                    var named = Types[random.Next(Types.Length)];
                    Assert.Equal(model.Has(path, named, watcherId), watches.Has(path, named, watcherId));
                    break;
                case < 97:
                    named = Types[random.Next(Types.Length)];
                    Assert.Equal(model.Remove(path, named, watcherId), watches.Remove(path, named, watcherId));
                    break;
                default:
                    Assert.Equal(model.RemoveWatcher(watcherId), watches.RemoveWatcher(watcherId));
                    break;
            }

            Assert.Equal(model.Summary, watches.Summary);
            if (step % 500 == 0)
            {
                watches.CheckConsistency();
                Assert.Equal(model.DumpByPath(), watches.DumpByPath().Select(p => $"{p.Path}:{string.Join(',', p.WatcherIds)}"));
            }
        }
    }

    private sealed class Model
    {
        private readonly List<(string Path, WatchKinds Kind, long WatcherId)> _watches = [];

        public WatchSummary Summary => new(
            _watches.Select(w => w.WatcherId).Distinct().Count(),
            _watches.Select(w => w.Path).Distinct().Count(),
            _watches.Select(w => (w.Path, w.WatcherId)).Distinct().Count());

        public bool Add(string path, WatchKinds kind, long watcherId)
        {
            if (_watches.Contains((path, kind, watcherId)))
            {
                return false;
            }

            _watches.Add((path, kind, watcherId));
            return true;
        }

        public WatchNotification[] Trigger(string path, EventType type)
        {
            var firing = _watches.Where(w => Fires(w.Path, w.Kind, path, type)).ToList();
            _watches.RemoveAll(w => firing.Contains(w) && w.Kind is WatchKinds.Data or WatchKinds.Child);
            return firing.Select(w => w.WatcherId).Distinct().Order().Select(id => new WatchNotification(id, type, path)).ToArray();
        }

        public bool Has(string path, WatcherType type, long watcherId) =>
            _watches.Any(w => w.Path == path && w.WatcherId == watcherId && Names(type, w.Kind));

        public WatchKinds Remove(string path, WatcherType type, long watcherId)
        {
            var removed = WatchKinds.None;
            foreach (var w in _watches.Where(w => w.Path == path && w.WatcherId == watcherId && Names(type, w.Kind)))
            {
                removed |= w.Kind;
            }

            _watches.RemoveAll(w => w.Path == path && w.WatcherId == watcherId && Names(type, w.Kind));
            return removed;
        }

        public int RemoveWatcher(long watcherId)
        {
            int paths = _watches.Where(w => w.WatcherId == watcherId).Select(w => w.Path).Distinct().Count();
            _watches.RemoveAll(w => w.WatcherId == watcherId);
            return paths;
        }

        public IEnumerable<string> DumpByPath() =>
            _watches.GroupBy(w => w.Path)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => $"{g.Key}:{string.Join(',', g.Select(w => w.WatcherId).Distinct().Order())}");

        private static bool Names(WatcherType type, WatchKinds kind) => type switch
        {
            WatcherType.Children => kind == WatchKinds.Child,
            WatcherType.Data => kind == WatchKinds.Data,
            _ => true,
        };

        // The rules written out case by case, independently of how the manager encodes them.
        private static bool Fires(string watched, WatchKinds kind, string path, EventType type)
        {
            if (watched == path)
            {
                return (kind, type) switch
                {
                    (WatchKinds.Data, EventType.NodeCreated or EventType.NodeDeleted or EventType.NodeDataChanged) => true,
                    (WatchKinds.Child, EventType.NodeDeleted or EventType.NodeChildrenChanged) => true,
                    (WatchKinds.Persistent, _) => true,
                    (WatchKinds.PersistentRecursive, _) => type != EventType.NodeChildrenChanged,
                    _ => false,
                };
            }

            bool isAncestor = watched == "/" || path.StartsWith(watched + "/", StringComparison.Ordinal);
            return isAncestor && kind == WatchKinds.PersistentRecursive && type != EventType.NodeChildrenChanged;
        }
    }
}
