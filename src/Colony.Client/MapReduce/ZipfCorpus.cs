namespace Colony.Client.MapReduce;

/// <summary>
/// Generates deterministic text for benchmarks and demos: words drawn from a Zipf distribution
/// (exponent 1) over a vocabulary of lowercase ASCII words, lines of 0 to 24 words, one space between words.
/// The same seed, vocabulary size and length give the same bytes.
/// </summary>
public static class ZipfCorpus
{
    private const int TableBits = 16;

    /// <summary>Writes exactly <paramref name="bytes"/> bytes (ending in '\n' when non-empty) to <paramref name="output"/>.</summary>
    public static async Task WriteAsync(Stream output, long bytes, int seed = 42, int vocabulary = 100_000, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabulary, 1);
        var random = new Random(seed);
        byte[][] words = MakeVocabulary(random, vocabulary);
        double[] cdf = Cumulative(vocabulary);
        int[] starts = BucketStarts(cdf);
        byte[] buffer = new byte[1 << 20];
        long remaining = bytes;
        while (remaining > 0)
        {
            int used = Fill(buffer, random, words, cdf, starts);
            int n = (int)Math.Min(used, remaining);
            remaining -= n;
            if (remaining == 0)
            {
                buffer[n - 1] = (byte)'\n';
            }
            await output.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Fills the buffer with whole lines; returns the bytes used.</summary>
    private static int Fill(byte[] buffer, Random random, byte[][] words, double[] cdf, int[] starts)
    {
        int used = 0;
        // The longest word is 12 bytes; 25 words of 13 bytes fit in the margin.
        while (used < buffer.Length - 400)
        {
            int count = random.Next(25);
            for (int w = 0; w < count; w++)
            {
                if (w > 0)
                {
                    buffer[used++] = (byte)' ';
                }
                byte[] word = words[Sample(random.NextDouble(), cdf, starts)];
                word.CopyTo(buffer, used);
                used += word.Length;
            }
            buffer[used++] = (byte)'\n';
        }
        return used;
    }

    private static int Sample(double u, double[] cdf, int[] starts)
    {
        int bucket = (int)(u * (1 << TableBits));
        int lo = starts[bucket];
        int hi = starts[bucket + 1];
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (cdf[mid] < u)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return Math.Min(lo, cdf.Length - 1);
    }

    private static byte[][] MakeVocabulary(Random random, int size)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var words = new byte[size][];
        char[] letters = new char[12];
        for (int i = 0; i < size;)
        {
            int length = 2 + random.Next(11);
            for (int c = 0; c < length; c++)
            {
                letters[c] = (char)('a' + random.Next(26));
            }
            string word = new(letters, 0, length);
            if (seen.Add(word))
            {
                words[i++] = System.Text.Encoding.ASCII.GetBytes(word);
            }
        }
        return words;
    }

    private static double[] Cumulative(int size)
    {
        double[] cdf = new double[size];
        double sum = 0;
        for (int r = 0; r < size; r++)
        {
            sum += 1.0 / (r + 1);
            cdf[r] = sum;
        }
        for (int r = 0; r < size; r++)
        {
            cdf[r] /= sum;
        }
        return cdf;
    }

    /// <summary>For each of 2^16 slices of [0, 1), the first rank whose cumulative probability reaches it.</summary>
    private static int[] BucketStarts(double[] cdf)
    {
        int[] starts = new int[(1 << TableBits) + 1];
        int rank = 0;
        for (int b = 0; b <= 1 << TableBits; b++)
        {
            double edge = (double)b / (1 << TableBits);
            while (rank < cdf.Length - 1 && cdf[rank] < edge)
            {
                rank++;
            }
            starts[b] = rank;
        }
        starts[1 << TableBits] = cdf.Length - 1;
        return starts;
    }
}
