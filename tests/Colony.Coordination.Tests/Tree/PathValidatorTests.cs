using Colony.Coordination.Tree;

namespace Colony.Coordination.Tests.Tree;

public sealed class PathValidatorTests
{
    [Theory]
    [InlineData("/")]
    [InlineData("/a")]
    [InlineData("/a/b/c")]
    [InlineData("/a.b")]
    [InlineData("/...")]
    [InlineData("/a/.b")]
    [InlineData("/a/b..")]
    [InlineData("/.a./..b")]
    [InlineData("/zookeeper")]
    [InlineData("/ünïcödé/日本")]
    [InlineData("/a b")]
    [InlineData("/\u00a0")]
    [InlineData("/\uf900")]
    [InlineData("/\uffef")]
    public void Accepts(string path) => Assert.Null(PathValidator.Validate(path));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("a/b")]
    [InlineData("/a/")]
    [InlineData("//")]
    [InlineData("/a//b")]
    [InlineData("/.")]
    [InlineData("/..")]
    [InlineData("/a/.")]
    [InlineData("/a/..")]
    [InlineData("/./a")]
    [InlineData("/../a")]
    [InlineData("/a/./b")]
    [InlineData("/a\0")]
    [InlineData("/\u0001")]
    [InlineData("/\u001f")]
    [InlineData("/\u007f")]
    [InlineData("/\u009f")]
    [InlineData("/\ud800")]
    [InlineData("/\ue000")]
    [InlineData("/\uf8ff")]
    [InlineData("/\ufff0")]
    [InlineData("/\uffff")]
    public void Rejects(string? path)
    {
        Assert.NotNull(PathValidator.Validate(path));
        Assert.False(PathValidator.IsValid(path));
    }

    [Fact]
    public void A_surrogate_pair_is_rejected_as_zookeeper_rejects_it()
    {
        // ZooKeeper checks UTF-16 code units, so any character outside the BMP is invalid.
        Assert.NotNull(PathValidator.Validate("/😀"));
    }
}
