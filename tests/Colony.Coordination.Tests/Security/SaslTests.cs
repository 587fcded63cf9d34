using System.Text;
using Colony.Coordination.Security;

namespace Colony.Coordination.Tests.Security;

public sealed class SaslTests
{
    // A real exchange, recorded from the python pure-sasl client kazoo uses (user bob, password secret).
    private const string Nonce = "OA6MG9tEQGm2hh";
    private const string ClientResponse =
        "qop=auth,realm=\"zk-sasl-md5\",username=\"bob\",nonce=\"OA6MG9tEQGm2hh\",cnonce=\"13436424411240122\",nc=00000001,"
        + "digest-uri=\"zookeeper/zk-sasl-md5\",response=c43f45a80fd98ec070006638780f9c93";

    private static string? Passwords(string user) => user == "bob" ? "secret" : null;

    [Fact]
    public void The_challenge_names_zookeepers_realm_the_nonce_and_auth_only()
    {
        string challenge = Encoding.UTF8.GetString(DigestMd5.Challenge(Nonce));
        Assert.Equal("realm=\"zk-sasl-md5\",nonce=\"OA6MG9tEQGm2hh\",qop=\"auth\",charset=utf-8,algorithm=md5-sess", challenge);
    }

    [Fact]
    public void A_real_clients_response_is_accepted_and_answered_with_the_proof_it_expects()
    {
        var outcome = DigestMd5.Verify(Encoding.UTF8.GetBytes(ClientResponse), Nonce, Passwords);
        Assert.True(outcome.Succeeded, outcome.Error);
        Assert.Equal("bob", outcome.User);
        Assert.Equal("rspauth=8a37de7463724d318ca69327f2a51165", Encoding.ASCII.GetString(outcome.ServerProof!));
    }

    [Theory]
    [InlineData("wrong password", "bob", "other", Nonce)]
    [InlineData("unknown user", "eve", "secret", Nonce)]
    [InlineData("replayed against another nonce", "bob", "secret", "another-nonce")]
    public void A_bad_response_is_refused(string why, string user, string password, string nonce)
    {
        var outcome = DigestMd5.Verify(Encoding.UTF8.GetBytes(ClientResponse), nonce, u => u == user ? password : null);
        Assert.False(outcome.Succeeded, why);
        Assert.NotNull(outcome.Error);
    }

    [Theory]
    [InlineData("username=\"bob\"")]
    [InlineData("username=\"bob\",nonce=\"OA6MG9tEQGm2hh\",realm=\"elsewhere\"")]
    [InlineData("username=\"bob\",username=\"eve\"")]
    [InlineData("username=\"bob,nonce=\"unterminated")]
    [InlineData("no equals sign")]
    [InlineData("")]
    public void Malformed_responses_are_refused_not_thrown(string response) =>
        Assert.False(DigestMd5.Verify(Encoding.UTF8.GetBytes(response), Nonce, Passwords).Succeeded);

    [Fact]
    public void Credentials_come_from_a_jaas_style_file()
    {
        var credentials = SaslCredentials.Parse("""
            Server {
                   org.apache.zookeeper.server.auth.DigestLoginModule required
                   user_super="adminsecret"
                   user_bob="secret";
            };
            """);
        Assert.Equal(2, credentials.Count);
        Assert.Equal("secret", credentials.PasswordOf("bob"));
        Assert.Equal("adminsecret", credentials.PasswordOf("super"));
        Assert.Null(credentials.PasswordOf("eve"));
        Assert.Throws<FormatException>(() => SaslCredentials.Parse("Server { };"));
        Assert.Throws<FormatException>(() => SaslCredentials.Parse("user_a=\"1\" user_a=\"2\""));
    }
}
