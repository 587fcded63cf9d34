using Colony.Node.Security;

namespace Colony.Node.Tests.Security;

public sealed class ApiTokensTests
{
    private static readonly byte[] Secret = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    [Fact]
    public void A_user_token_names_its_id_and_is_never_the_same_twice()
    {
        var (id, token) = ApiTokens.NewUserToken();
        var (other, second) = ApiTokens.NewUserToken();
        Assert.Matches("^[0-9a-f]{12}$", id);
        Assert.StartsWith($"colony.{id}.", token, StringComparison.Ordinal);
        Assert.Equal(id, ApiTokens.IdOf(token));
        Assert.NotEqual(id, other);
        Assert.NotEqual(token, second);
        // 32 random bytes, base64url without padding: 43 characters of secret.
        Assert.Equal(43, token.Length - $"colony.{id}.".Length);
        Assert.DoesNotContain('=', token);
        Assert.Equal(32, ApiTokens.Hash(token).Length);
        Assert.NotEqual(ApiTokens.Hash(token), ApiTokens.Hash(second));
    }

    [Theory]
    [InlineData("")]
    [InlineData("colony.")]
    [InlineData("colony..x")]
    [InlineData("Y29sb255")]
    [InlineData("job.job_000001.x")]
    public void Other_text_is_not_a_user_token(string text) => Assert.Null(ApiTokens.IdOf(text));

    [Fact]
    public void A_job_token_is_bound_to_its_job_its_user_and_the_cluster()
    {
        string token = ApiTokens.JobToken(Secret, "job_000007", "alice");
        Assert.Equal("job_000007", ApiTokens.JobOf(token));
        Assert.True(ApiTokens.IsJobToken(Secret, token, "job_000007", "alice"));
        Assert.False(ApiTokens.IsJobToken(Secret, token, "job_000007", "bob"));
        Assert.False(ApiTokens.IsJobToken(Secret, token, "job_000008", "alice"));
        Assert.False(ApiTokens.IsJobToken([.. Secret.Reverse()], token, "job_000007", "alice"));
        Assert.Equal(token, ApiTokens.JobToken(Secret, "job_000007", "alice"));
        Assert.Null(ApiTokens.JobOf("colony.abc.def"));
    }
}
