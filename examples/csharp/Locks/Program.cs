// Ten workers share a few counters; each read-modify-write happens under a per-resource lock.
//
// The counters live in znodes and are read and written without versions, so without the locks
// concurrent increments would overwrite each other. With them, every count comes out exact.
//
//     dotnet run -- [CONNECT_STRING]        (default: $COLONY_CLUSTER, else 127.0.0.1:2181)
//
// Exits 0 when every count is exact, 1 on any violation, 2 when the cluster cannot be reached.
using System.Globalization;
using System.Text;
using Colony.Client;
using Colony.Client.Recipes;
using Colony.Coordination;

const int Workers = 10;
const int Increments = 20; // per worker and resource
string[] resources = ["alpha", "beta", "gamma"];
var lockTimeout = TimeSpan.FromSeconds(60); // a wait this long means something is wrong

string hosts = args.Length > 0 ? args[0] : Environment.GetEnvironmentVariable("COLONY_CLUSTER") ?? "127.0.0.1:2181";
// A fresh root per run, so runs never see each other's counters.
string root = $"/examples/locks-{Guid.NewGuid():N}"[..24];

ZooKeeperClient client;
try
{
    client = await ZooKeeperClient.ConnectAsync(hosts, new ZooKeeperClientOptions { ConnectTimeout = TimeSpan.FromSeconds(15) });
}
catch (ConnectionLossException)
{
    Console.Error.WriteLine($"could not reach a server at {hosts}");
    return 2;
}

await using (client)
{
    foreach (string resource in resources)
    {
        await CreateWithParentsAsync(client, $"{root}/counters/{resource}", "0");
    }

    // One client, many workers: the client is thread-safe and pipelines their requests.
    var errors = new List<string>();
    var workers = Enumerable.Range(0, Workers).Select(worker => Task.Run(async () =>
    {
        try
        {
            for (int i = 0; i < Increments; i++)
            {
                foreach (string resource in resources)
                {
                    var mutex = new DistributedLock(client, $"{root}/locks/{resource}", $"worker-{worker}");
                    await using LockHandle held = await mutex.AcquireAsync(lockTimeout);
                    await IncrementAsync(client, $"{root}/counters/{resource}");
                }
            }
        }
        catch (Exception e) when (e is ZooKeeperException or TimeoutException)
        {
            lock (errors)
            {
                errors.Add($"worker {worker}: {e.Message}");
            }
        }
    }));
    await Task.WhenAll(workers);

    int expected = Workers * Increments;
    bool ok = errors.Count == 0;
    errors.ForEach(Console.Error.WriteLine);
    foreach (string resource in resources)
    {
        int value = await ReadAsync(client, $"{root}/counters/{resource}");
        ok &= value == expected;
        Console.WriteLine($"{resource}: {value} of {expected} {(value == expected ? "ok" : "LOST UPDATES")}");
    }
    Console.WriteLine($"{Workers} workers, {resources.Length} resources: {(ok ? "all counts exact" : "VIOLATION")}");
    await DeleteTreeAsync(client, root);
    return ok ? 0 : 1;
}

static async Task IncrementAsync(ZooKeeperClient client, string path)
{
    int value = await ReadAsync(client, path);
    await client.SetDataAsync(path, Encoding.UTF8.GetBytes((value + 1).ToString(CultureInfo.InvariantCulture)));
}

static async Task<int> ReadAsync(ZooKeeperClient client, string path)
{
    (byte[] data, _) = await client.GetDataAsync(path);
    return int.Parse(Encoding.UTF8.GetString(data), CultureInfo.InvariantCulture);
}

static async Task CreateWithParentsAsync(ZooKeeperClient client, string path, string data)
{
    // Every ancestor, shortest first; one that exists already is fine.
    for (int slash = path.IndexOf('/', 1); slash > 0; slash = path.IndexOf('/', slash + 1))
    {
        try
        {
            await client.CreateAsync(path[..slash], [], Acl.OpenUnsafe);
        }
        catch (NodeExistsException)
        {
        }
    }
    await client.CreateAsync(path, Encoding.UTF8.GetBytes(data), Acl.OpenUnsafe);
}

static async Task DeleteTreeAsync(ZooKeeperClient client, string path)
{
    foreach (string child in await client.GetChildrenAsync(path))
    {
        await DeleteTreeAsync(client, $"{path}/{child}");
    }
    await client.DeleteAsync(path);
}
