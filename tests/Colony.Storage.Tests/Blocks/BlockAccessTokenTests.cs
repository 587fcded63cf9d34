using System.Buffers.Text;
using Colony.Core;
using Colony.Storage.Blocks.Transfer;

namespace Colony.Storage.Tests.Blocks;

public sealed class BlockAccessTokenTests
{
    private static readonly byte[] Secret = [.. Enumerable.Range(0, 32).Select(i => (byte)i)];
    private static readonly byte[] Key = BlockAccessToken.DeriveKey(Secret);
    private static readonly BlockVersion Block = new(new BlockId(9), new GenerationStamp(3));
    private const long Expires = 1_800_000_000_000;

    private static readonly BlockAccessToken ReadToken = new(Block, BlockAccessMode.Read, "alice", Expires);

    [Fact]
    public void Key_and_token_are_frozen()
    {
        // Computed apart from this code (RFC 5869 HKDF and RFC 2104 HMAC over SHA-256): a change here breaks every cluster mid-upgrade.
        Assert.Equal("081B3C496E9993D01CDAE670EA37C92AA365AB877CB94E2682EE80BA33E3D40F", Convert.ToHexString(Key));
        Assert.Equal("AQkAAAAAAAAAAwAAAAAAAAABAFBcGKMBAAAFYWxpY2XWyDW81Vz0r-382bBdSvWfM39nEF8ffq5HUfz2fmaHgQ", ReadToken.Sign(Key));
        Assert.Equal(new byte[] { 1, 2, 3 }, new[] { BlockAccessMode.Read, BlockAccessMode.Write, BlockAccessMode.Copy }.Select(m => (byte)m));
        Assert.Equal(30_000, BlockAccessToken.ClockSkewGraceMs);
    }

    [Fact]
    public void The_key_is_not_the_secret_and_differs_per_secret()
    {
        Assert.NotEqual(Secret, Key);
        Assert.NotEqual(Key, BlockAccessToken.DeriveKey([.. Secret.Take(31), 0]));
        Assert.Throws<ArgumentException>(() => BlockAccessToken.DeriveKey([]));
    }

    [Fact]
    public void A_signed_token_parses_back_and_passes_until_it_expires()
    {
        string text = ReadToken.Sign(Key);
        Assert.Equal(ReadToken, BlockAccessToken.Parse(text));
        Assert.Equal(BlockAccessVerdict.Ok, Verify(text, Block, BlockAccessMode.Read, Expires - 600_000));
        Assert.Equal(BlockAccessVerdict.Ok, Verify(text, Block, BlockAccessMode.Read, Expires));
        // Within the grace another node's clock may be ahead by; past it, refused.
        Assert.Equal(BlockAccessVerdict.Ok, Verify(text, Block, BlockAccessMode.Read, Expires + BlockAccessToken.ClockSkewGraceMs));
        Assert.Equal(BlockAccessVerdict.Expired, Verify(text, Block, BlockAccessMode.Read, Expires + BlockAccessToken.ClockSkewGraceMs + 1));
    }

    [Fact]
    public void A_token_for_another_block_stamp_or_mode_is_refused()
    {
        string text = ReadToken.Sign(Key);
        Assert.Equal(BlockAccessVerdict.WrongBlock, Verify(text, new BlockVersion(new BlockId(10), Block.Stamp), BlockAccessMode.Read, 0));
        Assert.Equal(BlockAccessVerdict.WrongBlock, Verify(text, new BlockVersion(Block.Id, new GenerationStamp(4)), BlockAccessMode.Read, 0));
        Assert.Equal(BlockAccessVerdict.WrongMode, Verify(text, Block, BlockAccessMode.Write, 0));
        string copy = (ReadToken with { Mode = BlockAccessMode.Copy }).Sign(Key);
        Assert.Equal(BlockAccessVerdict.Ok, BlockAccessToken.Verify(Key, copy, Block, [BlockAccessMode.Write, BlockAccessMode.Copy], 0));
        Assert.Equal(BlockAccessVerdict.WrongMode, Verify(copy, Block, BlockAccessMode.Read, 0));
    }

    [Fact]
    public void A_tampered_or_foreign_token_is_refused_before_anything_it_says()
    {
        byte[] bytes = Base64Url.DecodeFromChars(ReadToken.Sign(Key));
        for (int i = 0; i < bytes.Length; i++)
        {
            byte[] tampered = (byte[])bytes.Clone();
            tampered[i] ^= 0x01;
            var verdict = Verify(Base64Url.EncodeToString(tampered), Block, BlockAccessMode.Read, 0);
            // Flipping the format, the mode to an unknown value or the user's length makes it unreadable; any other bit breaks the signature.
            Assert.True(verdict is BlockAccessVerdict.BadSignature or BlockAccessVerdict.Malformed, $"byte {i}: {verdict}");
        }
        // A longer expiry, re-encoded by someone without the key: the old signature no longer matches.
        string forged = (ReadToken with { ExpiresUnixMs = long.MaxValue }).Sign(BlockAccessToken.DeriveKey("another cluster"u8));
        Assert.Equal(BlockAccessVerdict.BadSignature, Verify(forged, Block, BlockAccessMode.Read, 0));
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    public void No_token_is_missing(string? text) =>
        Assert.Equal(BlockAccessVerdict.Missing, Verify(text!, Block, BlockAccessMode.Read, 0));

    [Theory]
    [InlineData("not base64url!")]
    [InlineData("AQ")]
    [InlineData("AgkAAAAAAAAAAwAAAAAAAAABAFBcGKMBAAAFYWxpY2XWyDW81Vz0r-382bBdSvWfM39nEF8ffq5HUfz2fmaHgQ")] // format 2
    [InlineData("AQkAAAAAAAAAAwAAAAAAAAABAFBcGKMBAAAFYWxpY2XWyDW81Vz0r-382bBdSvWfM39nEF8ffq5HUfz2fmaH")] // short MAC
    public void Garbage_is_malformed(string text)
    {
        Assert.Equal(BlockAccessVerdict.Malformed, Verify(text, Block, BlockAccessMode.Read, 0));
        Assert.Null(BlockAccessToken.Parse(text));
    }

    [Fact]
    public void Random_and_mutated_texts_are_refused_without_throwing()
    {
        var random = new Random(5);
        string valid = ReadToken.Sign(Key);
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for (int i = 0; i < 5000; i++)
        {
            char[] text = i % 2 == 0
                ? [.. Enumerable.Range(0, random.Next(1, 200)).Select(_ => alphabet[random.Next(alphabet.Length)])]
                : valid.ToCharArray();
            if (i % 2 == 1)
            {
                for (int flips = random.Next(1, 4); flips > 0; flips--)
                {
                    text[random.Next(text.Length)] = alphabet[random.Next(alphabet.Length)];
                }
            }
            string candidate = new(text);
            var verdict = Verify(candidate, Block, BlockAccessMode.Read, 0);
            // The last character's spare bits carry nothing: a text that decodes to the signed bytes is that token.
            Assert.True(verdict != BlockAccessVerdict.Ok || Base64Url.DecodeFromChars(candidate).AsSpan().SequenceEqual(Base64Url.DecodeFromChars(valid)), candidate);
        }
    }

    [Fact]
    public void An_oversized_token_is_malformed_without_decoding() =>
        Assert.Equal(BlockAccessVerdict.Malformed, Verify(new string('A', TransferLimits.MaxTokenBytes + 4), Block, BlockAccessMode.Read, 0));

    [Fact]
    public void Every_verdict_but_ok_has_a_reason()
    {
        foreach (var verdict in Enum.GetValues<BlockAccessVerdict>())
        {
            Assert.Equal(verdict == BlockAccessVerdict.Ok, BlockAccessToken.Describe(verdict, Block).Length == 0);
        }
    }

    [Fact]
    public void The_longest_user_fits_the_wire_limit()
    {
        string user = new('u', BlockAccessToken.MaxUserBytes);
        string text = (ReadToken with { User = user }).Sign(Key);
        Assert.True(text.Length <= TransferLimits.MaxTokenBytes);
        Assert.Equal(BlockAccessVerdict.Ok, Verify(text, Block, BlockAccessMode.Read, 0));
        Assert.Throws<ArgumentException>(() => (ReadToken with { User = user + "u" }).Sign(Key));
    }

    private static BlockAccessVerdict Verify(string text, BlockVersion version, BlockAccessMode mode, long now) =>
        BlockAccessToken.Verify(Key, text, version, [mode], now);
}
