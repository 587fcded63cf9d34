using Colony.Storage.Namespace;

namespace Colony.Storage.Tests.Namespace;

public sealed class FsPathTests
{
    [Theory]
    [InlineData("", "empty")]
    [InlineData("a/b", "not absolute")]
    [InlineData("/a//b", "empty component")]
    [InlineData("/a/./b", "'.'")]
    [InlineData("/a/../b", "'..'")]
    [InlineData("/a\0b", "control character")]
    [InlineData("/a\nb", "control character")]
    public void Rejects_bad_paths_with_a_reason(string text, string reason)
    {
        Assert.False(FsPath.TryParse(text, out _, out var error));
        Assert.Contains(reason, error);
        Assert.Throws<ArgumentException>(() => FsPath.Parse(text));
    }

    [Fact]
    public void Rejects_long_components_and_paths()
    {
        Assert.True(FsPath.TryParse("/" + new string('a', 255), out _, out _));
        Assert.False(FsPath.TryParse("/" + new string('a', 256), out _, out var error));
        Assert.Contains("255", error);
        Assert.False(FsPath.TryParse("/" + new string('é', 128), out _, out _)); // 256 UTF-8 bytes
        string deep = string.Concat(Enumerable.Repeat("/abcdefg", 513)); // 4104 bytes
        Assert.False(FsPath.TryParse(deep, out _, out error));
        Assert.Contains("4096", error);
    }

    [Fact]
    public void Normalizes_a_trailing_slash_and_splits()
    {
        var path = FsPath.Parse("/a/b/");
        Assert.Equal("/a/b", path.Value);
        Assert.Equal("b", path.Name);
        Assert.Equal("/a", path.Parent.Value);
        Assert.Equal(FsPath.Root, path.Parent.Parent);
        Assert.Equal(["a", "b"], path.Components);
        Assert.Equal(2, path.Depth);
        Assert.True(FsPath.Root.IsRoot);
        Assert.Equal(FsPath.Root, default(FsPath));
        Assert.Equal(FsPath.Root, FsPath.Parse("/"));
        Assert.Equal(0, FsPath.Root.Depth);
        Assert.Equal("/a/b/c", path.Combine("c").Value);
        Assert.Equal("/x", FsPath.Root.Combine("x").Value);
    }

    [Fact]
    public void Contains_is_by_component_not_by_prefix()
    {
        var a = FsPath.Parse("/a");
        Assert.True(a.Contains(FsPath.Parse("/a")));
        Assert.True(a.Contains(FsPath.Parse("/a/b")));
        Assert.False(a.Contains(FsPath.Parse("/ab")));
        Assert.True(FsPath.Root.Contains(a));
    }
}
