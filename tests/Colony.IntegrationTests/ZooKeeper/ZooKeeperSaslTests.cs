using Xunit.Abstractions;

namespace Colony.IntegrationTests.ZooKeeper;

/// <summary>SASL DIGEST-MD5 with kazoo against a real cluster whose users come from a JAAS-style file.</summary>
public sealed class ZooKeeperSaslTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Kazoo_signs_in_with_digest_md5_and_owns_a_sasl_acl_and_a_wrong_password_is_refused()
    {
        string users = Path.Combine(Directory.CreateTempSubdirectory("colony-sasl-").FullName, "jaas.conf");
        await File.WriteAllTextAsync(users, """
            Server {
                   org.apache.zookeeper.server.auth.DigestLoginModule required
                   user_super="adminsecret"
                   user_bob="secret";
            };
            """);
        try
        {
            await using var cluster = new LocalCluster(3, coordination: new Dictionary<string, object> { ["SaslUsersFile"] = users });
            using var logs = cluster.DumpLogsOnFailure(output, tailLines: 40);
            await cluster.WaitForLeaderAsync();
            await cluster.WaitUntilZooKeeperServesAsync();

            await using var script = PythonScript.Start(Path.Combine("..", "sasl", "sasl.py"),
                "--hosts", cluster.ConnectString, "--user", "bob", "--password", "secret", "--path", "/sasl");
            Assert.Equal(0, await script.WaitForExitAsync(Bound));
            Assert.Equal(["CREATED /sasl", "READ for the SASL user only", "ANONYMOUS NoAuth", "BAD refused"], script.Output);
            Assert.Contains(cluster.Ids, id => cluster.LogOf(id).Contains("SASL authentication of", StringComparison.Ordinal)
                && cluster.LogOf(id).Contains("wrong password for 'bob'", StringComparison.Ordinal));
            logs.Pass();
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(users)!, recursive: true);
        }
    }
}
