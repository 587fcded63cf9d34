using Colony.Client.MapReduce;

namespace MemoryHog;

/// <summary>A job whose mapper keeps every buffer it allocates, until the executor's heap limit stops it.</summary>
public sealed class MemoryHogJob : Job<MemoryHogJob.HoardingMapper, MemoryHogJob.SumReducer>
{
    /// <summary>Holds 16 MiB more for every line it reads, and never lets go.</summary>
    public sealed class HoardingMapper : Mapper<string, long>
    {
        private readonly List<byte[]> _hoard = [];

        /// <inheritdoc />
        public override void Map(string line, Output<string, long> output)
        {
            var buffer = new byte[16 * 1024 * 1024];
            Array.Fill(buffer, (byte)1); // touched, so the memory is really in use
            _hoard.Add(buffer);
            output.Emit("lines", 1);
        }
    }

    /// <summary>Adds up the counts.</summary>
    public sealed class SumReducer : Reducer<string, long>
    {
        /// <inheritdoc />
        public override void Reduce(string key, IEnumerable<long> values, Output<string, long> output) => output.Emit(key, values.Sum());
    }
}
