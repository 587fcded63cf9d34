using System.Numerics;

namespace Colony.Testing.Linearizability;

/// <summary>
/// The memo of Lowe's optimisation: the configurations the search has entered, each a set of completed
/// operations taken effect, a set of pending ones taken effect, and the state. Reaching a configuration
/// that a recorded one dominates cannot lead anywhere new, so the search skips it.
/// </summary>
/// <remarks>
/// (C, P, s) dominates (C, P', s) when P ⊆ P': a pending operation may also never take effect, so every
/// continuation of the second is one of the first. With no pending operations this is plain equality.
/// Bitsets are stored side by side in flat arrays, so adding allocates nothing but growth.
/// </remarks>
internal sealed class ConfigurationCache<TState>
{
    private const ulong Fibonacci = 0x9E3779B97F4A7C15UL;

    private readonly int _completedWords;
    private readonly int _pendingWords;
    private readonly IEqualityComparer<TState> _comparer;
    private int[] _buckets;   // entry index + 1; 0 is empty
    private int[] _chain;     // next entry index in the bucket, or -1
    private ulong[] _hashes;
    private TState[] _states;
    private ulong[] _completed;  // entry i occupies [i * _completedWords, (i + 1) * _completedWords)
    private ulong[] _pending;    // likewise with _pendingWords
    private int _shift;
    private int _count;

    public ConfigurationCache(int completedWords, int pendingWords, IEqualityComparer<TState> comparer, int capacity = 256)
    {
        _completedWords = completedWords;
        _pendingWords = pendingWords;
        _comparer = comparer;
        capacity = (int)Math.Max(16, BitOperations.RoundUpToPowerOf2((uint)capacity));
        _buckets = new int[capacity];
        _chain = new int[capacity];
        _hashes = new ulong[capacity];
        _states = new TState[capacity];
        _completed = new ulong[capacity * completedWords];
        _pending = new ulong[capacity * pendingWords];
        _shift = 64 - BitOperations.Log2((uint)capacity);
    }

    public int Count => _count;

    /// <summary>Records a configuration; false if a recorded one equals or dominates it.</summary>
    /// <param name="completedHash">A hash of <paramref name="completed"/> that the caller maintains incrementally.</param>
    public bool Add(ReadOnlySpan<ulong> completed, ReadOnlySpan<ulong> pending, ulong completedHash, TState state)
    {
        ulong hash = completedHash ^ ((ulong)(uint)(state is null ? 0 : _comparer.GetHashCode(state)) * Fibonacci);
        int bucket = (int)((hash * Fibonacci) >> _shift);
        for (int i = _buckets[bucket] - 1; i >= 0; i = _chain[i])
        {
            if (_hashes[i] == hash
                && completed.SequenceEqual(_completed.AsSpan(i * _completedWords, _completedWords))
                && IsSubset(_pending.AsSpan(i * _pendingWords, _pendingWords), pending)
                && _comparer.Equals(_states[i], state))
            {
                return false;
            }
        }
        if (_count == _states.Length)
        {
            Grow();
            bucket = (int)((hash * Fibonacci) >> _shift);
        }
        int entry = _count++;
        _hashes[entry] = hash;
        _states[entry] = state;
        completed.CopyTo(_completed.AsSpan(entry * _completedWords, _completedWords));
        pending.CopyTo(_pending.AsSpan(entry * _pendingWords, _pendingWords));
        _chain[entry] = _buckets[bucket] - 1;
        _buckets[bucket] = entry + 1;
        return true;
    }

    private static bool IsSubset(ReadOnlySpan<ulong> subset, ReadOnlySpan<ulong> superset)
    {
        for (int w = 0; w < subset.Length; w++)
        {
            if ((subset[w] & ~superset[w]) != 0)
            {
                return false;
            }
        }
        return true;
    }

    private void Grow()
    {
        int capacity = _states.Length * 2;
        Array.Resize(ref _chain, capacity);
        Array.Resize(ref _hashes, capacity);
        Array.Resize(ref _states, capacity);
        Array.Resize(ref _completed, capacity * _completedWords);
        Array.Resize(ref _pending, capacity * _pendingWords);
        _buckets = new int[capacity];
        _shift--;
        for (int i = 0; i < _count; i++)
        {
            int bucket = (int)((_hashes[i] * Fibonacci) >> _shift);
            _chain[i] = _buckets[bucket] - 1;
            _buckets[bucket] = i + 1;
        }
    }
}
