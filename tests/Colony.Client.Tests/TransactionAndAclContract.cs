using Colony.Coordination;
using Colony.Coordination.Protocol;
using static Colony.Client.Tests.TestSupport;

namespace Colony.Client.Tests;

/// <summary>Multi-operation transactions, multi-reads, ACLs and authentication.</summary>
public abstract class TransactionAndAclContract(ServerFixture server)
{
    protected ServerFixture Server { get; } = server;

    [Fact]
    public async Task A_transaction_applies_every_operation_and_reports_each_result()
    {
        await using var client = await ConnectAsync(Server.ConnectString);
        string root = UniqueRoot("multi");
        await client.CreateAsync(root, "v0");
        await client.CreateAsync(root + "/doomed");

        IReadOnlyList<OpResult> results = await client.Transaction()
            .Check(root, 0)
            .Create(root + "/new", Bytes("fresh"), Acl.OpenUnsafe)
            .Create(root + "/seq-", null, Acl.OpenUnsafe, CreateMode.PersistentSequential)
            .SetData(root, Bytes("v1"), 0)
            .Delete(root + "/doomed")
            .CommitAsync();

        Assert.Equal(5, results.Count);
        Assert.IsType<CheckResult>(results[0]);
        Assert.Equal(root + "/new", Assert.IsType<CreateResult>(results[1]).Path);
        Assert.Equal(root + "/seq-0000000002", Assert.IsType<CreateResult>(results[2]).Path);
        Assert.Equal(1, Assert.IsType<SetDataResult>(results[3]).Stat.Version);
        Assert.IsType<DeleteResult>(results[4]);
        Assert.Equal("v1", Text((await client.GetDataAsync(root)).Data));
        Assert.Null(await client.ExistsAsync(root + "/doomed"));
        // All in one transaction: one zxid.
        Assert.Equal((await client.ExistsAsync(root + "/new"))!.Value.Czxid, (await client.ExistsAsync(root))!.Value.Mzxid);
    }

    [Fact]
    public async Task A_transaction_creates_container_and_ttl_nodes()
    {
        await using var client = await ConnectAsync(Server.ConnectString);
        string root = UniqueRoot("multi-modes");
        await client.CreateAsync(root);

        IReadOnlyList<OpResult> results = await client.Transaction()
            .Create(root + "/container", null, Acl.OpenUnsafe, CreateMode.Container)
            .Create(root + "/ttl", null, Acl.OpenUnsafe, CreateMode.PersistentWithTtl, ttl: 60_000)
            .CommitAsync();

        Assert.Equal([root + "/container", root + "/ttl"], results.Select(r => r switch
        {
            CreateResult c => c.Path,
            Create2Result c => c.Path,
            _ => r.ToString(),
        }));
        Assert.NotNull(await client.ExistsAsync(root + "/container"));
    }

    [Fact]
    public async Task A_failed_transaction_applies_nothing_and_reports_every_result()
    {
        await using var client = await ConnectAsync(Server.ConnectString);
        string root = UniqueRoot("multi-fail");
        await client.CreateAsync(root);

        var failure = await Assert.ThrowsAsync<TransactionFailedException>(() => client.Transaction()
            .Create(root + "/a", null, Acl.OpenUnsafe)
            .SetData(root, Bytes("x"), version: 7)
            .Delete(root + "/missing")
            .CommitAsync());

        Assert.Equal(ErrorCode.BadVersion, failure.Code);
        Assert.Equal(1, failure.FailedIndex);
        Assert.Equal(root, failure.Path);
        Assert.Equal(
            [new ErrorResult(ErrorCode.Ok), new ErrorResult(ErrorCode.BadVersion), new ErrorResult(ErrorCode.RuntimeInconsistency)],
            failure.Results);
        Assert.Null(await client.ExistsAsync(root + "/a"));
        Assert.Empty(await client.Transaction().CommitAsync());
    }

    [Fact]
    public async Task A_multi_read_answers_each_read_and_its_errors()
    {
        await using var client = await ConnectAsync(Server.ConnectString);
        string root = UniqueRoot("multi-read");
        await client.CreateAsync(root, "data");
        await client.CreateAsync(root + "/x");

        IReadOnlyList<OpResult> results = await client.MultiReadAsync([ReadOp.GetData(root), ReadOp.GetChildren(root), ReadOp.GetData(root + "/missing")]);

        var data = Assert.IsType<GetDataResult>(results[0]);
        Assert.Equal("data", Text(data.Data!));
        Assert.Equal(1, data.Stat.NumChildren);
        Assert.Equal(["x"], Assert.IsType<GetChildrenResult>(results[1]).Children);
        Assert.Equal(new ErrorResult(ErrorCode.NoNode), results[2]);
    }

    [Fact]
    public async Task Digest_acls_admit_only_the_authenticated_user()
    {
        string root = UniqueRoot("acl");
        await using var alice = await ConnectAsync(Server.ConnectString);
        await alice.AddAuthAsync(DigestAuth.Scheme, DigestAuth.Credentials("alice", "secret"));
        Acl[] aliceOnly = [new Acl(Perms.All, DigestAuth.Id("alice", "secret"))];
        await alice.CreateAsync(root, Bytes("private"), aliceOnly);
        await alice.CreateAsync(root + "/creator", Bytes("mine"), Acl.CreatorAll);

        await using var anonymous = await ConnectAsync(Server.ConnectString);
        // Another session's writes are visible on this session's server only after a sync.
        await anonymous.SyncAsync(root);
        var denied = await Assert.ThrowsAsync<NoAuthException>(() => anonymous.GetDataAsync(root));
        Assert.Equal(root, denied.Path);
        await Assert.ThrowsAsync<NoAuthException>(() => anonymous.SetDataAsync(root, null));
        Assert.NotNull(await anonymous.ExistsAsync(root));

        await using var bob = await ConnectAsync(Server.ConnectString);
        await bob.AddAuthAsync(DigestAuth.Scheme, DigestAuth.Credentials("alice", "wrong"));
        await Assert.ThrowsAsync<NoAuthException>(() => bob.GetDataAsync(root));

        await anonymous.AddAuthAsync(DigestAuth.Scheme, DigestAuth.Credentials("alice", "secret"));
        Assert.Equal("private", Text((await anonymous.GetDataAsync(root)).Data));
        Assert.Equal("mine", Text((await anonymous.GetDataAsync(root + "/creator")).Data));
        Assert.Contains(await anonymous.WhoAmIAsync(), i => i.AuthScheme == "digest" && i.User == "alice");

        (IReadOnlyList<Acl> acl, Stat stat) = await alice.GetAclAsync(root);
        Assert.Equal(aliceOnly, acl);
        Assert.Equal(0, stat.Aversion);
        await Assert.ThrowsAsync<BadVersionException>(() => alice.SetAclAsync(root, Acl.ReadUnsafe, aclVersion: 3));
        Stat changed = await alice.SetAclAsync(root, Acl.ReadUnsafe, aclVersion: 0);
        Assert.Equal(1, changed.Aversion);
        // Bob's server may not have applied Alice's change yet: sync, as ZooKeeper clients must.
        await bob.SyncAsync(root);
        Assert.Equal("private", Text((await bob.GetDataAsync(root)).Data));
        await Assert.ThrowsAsync<NoAuthException>(() => bob.SetDataAsync(root, null));
    }

    [Fact]
    public async Task Credentials_for_an_unknown_scheme_fail_the_session()
    {
        var log = new EventLog(nodeEventsOnly: false);
        await using var client = await ConnectAsync(Server.ConnectString, new ZooKeeperClientOptions { DefaultWatcher = log.Watcher });
        var states = new TaskCompletionSource<KeeperState>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.StateChanged += (_, e) =>
        {
            if (e.State != KeeperState.SyncConnected)
            {
                states.TrySetResult(e.State);
            }
        };

        await Assert.ThrowsAsync<AuthFailedException>(() => client.AddAuthAsync("no-such-scheme", Bytes("x"))).Within();

        Assert.Equal(KeeperState.AuthFailed, await states.Task.Within());
        Assert.Equal(KeeperState.AuthFailed, client.State);
        await log.NextAsync(KeeperState.AuthFailed);
        await Assert.ThrowsAsync<AuthFailedException>(() => client.ExistsAsync("/"));
    }
}
