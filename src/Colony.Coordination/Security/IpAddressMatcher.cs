namespace Colony.Coordination.Security;

/// <summary>
/// The ip scheme: an ACL id is an IPv4 or IPv6 address with an optional "/bits" mask, and a client's id
/// is its address. Parsing follows ZooKeeper's own rules (not the platform's address parser), so an ACL
/// that ZooKeeper accepts or rejects is accepted or rejected here too: IPv4 is exactly four decimal parts,
/// IPv6 is colon-separated hex groups with at most one "::", and embedded IPv4 in IPv6 is not understood.
/// </summary>
internal static class IpAddressMatcher
{
    private const int V6Bytes = 16;
    private const int V6Groups = 8;

    /// <summary>True if <paramref name="aclExpression"/> is an address with an optional mask in range.</summary>
    public static bool IsValid(string aclExpression) => TryParseExpression(aclExpression, out _, out _);

    /// <summary>True if the client address <paramref name="clientAddress"/> lies in <paramref name="aclExpression"/>.</summary>
    public static bool Matches(string clientAddress, string aclExpression)
    {
        if (!TryParseExpression(aclExpression, out var aclBytes, out int bits))
        {
            return false;
        }
        var clientBytes = ParseAddress(clientAddress);
        if (clientBytes is null || clientBytes.Length != aclBytes.Length)
        {
            return false;
        }
        Mask(aclBytes, bits);
        Mask(clientBytes, bits);
        return clientBytes.AsSpan().SequenceEqual(aclBytes);
    }

    private static bool TryParseExpression(string expression, out byte[] address, out int bits)
    {
        int slash = expression.IndexOf('/', StringComparison.Ordinal);
        var parsed = ParseAddress(slash < 0 ? expression : expression[..slash]);
        address = parsed ?? [];
        bits = address.Length * 8;
        if (parsed is null)
        {
            return false;
        }
        if (slash >= 0)
        {
            if (!TryParseInt(expression.AsSpan(slash + 1), 10, out bits) || bits < 0 || bits > address.Length * 8)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The address's bytes, or null if it is neither form.</summary>
    internal static byte[]? ParseAddress(string address)
    {
        if (address.Contains(':', StringComparison.Ordinal))
        {
            return ParseV6(address);
        }
        return address.Contains('.', StringComparison.Ordinal) ? ParseV4(address) : null;
    }

    private static byte[]? ParseV4(string address)
    {
        var parts = address.Split('.');
        if (parts.Length != 4)
        {
            return null;
        }
        var bytes = new byte[4];
        for (int i = 0; i < 4; i++)
        {
            if (!TryParseInt(parts[i], 10, out int value) || value is < 0 or > 255)
            {
                return null;
            }
            bytes[i] = (byte)value;
        }
        return bytes;
    }

    private static byte[]? ParseV6(string address)
    {
        var halves = address.Split("::");
        string[] head;
        string[] tail = [];
        if (halves.Length == 1)
        {
            head = halves[0].Split(':');
            if (head.Length != V6Groups)
            {
                return null;
            }
        }
        else if (halves.Length == 2)
        {
            head = halves[0].Length == 0 ? [] : halves[0].Split(':');
            tail = halves[1].Length == 0 ? [] : halves[1].Split(':');
            if (head.Length + tail.Length >= V6Groups)
            {
                return null;
            }
        }
        else
        {
            return null;
        }
        var bytes = new byte[V6Bytes];
        return WriteGroups(bytes, 0, head) && WriteGroups(bytes, V6Bytes - (tail.Length * 2), tail) ? bytes : null;
    }

    private static bool WriteGroups(byte[] bytes, int offset, string[] groups)
    {
        foreach (var group in groups)
        {
            if (group.Length is 0 or > 4 || !TryParseInt(group, 16, out int value))
            {
                return false;
            }
            bytes[offset++] = (byte)(value >> 8);
            bytes[offset++] = (byte)value;
        }
        return true;
    }

    // Zeroes every bit after the first `bits`.
    private static void Mask(byte[] bytes, int bits)
    {
        int start = bits / 8;
        int keep = bits % 8;
        if (start < bytes.Length)
        {
            bytes[start] &= (byte)~((1 << (8 - keep)) - 1);
            bytes.AsSpan(start + 1).Clear();
        }
    }

    /// <summary>An integer with an optional leading sign, as ZooKeeper's parser reads one; false on overflow.</summary>
    private static bool TryParseInt(ReadOnlySpan<char> text, int radix, out int value)
    {
        value = 0;
        bool negative = false;
        if (text.Length > 0 && (text[0] == '+' || text[0] == '-'))
        {
            negative = text[0] == '-';
            text = text[1..];
        }
        if (text.IsEmpty)
        {
            return false;
        }
        long result = 0;
        foreach (char c in text)
        {
            int digit = HexDigit(c);
            if (digit < 0 || digit >= radix)
            {
                return false;
            }
            result = (result * radix) + digit;
            if (result > (long)int.MaxValue + 1)
            {
                return false;
            }
        }
        result = negative ? -result : result;
        if (result is > int.MaxValue or < int.MinValue)
        {
            return false;
        }
        value = (int)result;
        return true;
    }

    private static int HexDigit(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}
