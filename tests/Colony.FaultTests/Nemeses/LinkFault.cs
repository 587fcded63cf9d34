namespace Colony.FaultTests.Nemeses;

/// <summary>
/// How a network nemesis degrades each target's link, the same in both directions. Pure numbers drawn
/// from the seed; <see cref="LinkShaping"/> turns them into the commands that do it.
/// </summary>
/// <param name="LossPercent">Packets dropped in each direction (<see cref="NemesisKind.Lossy"/>); 0 for none.</param>
/// <param name="RateKbit">The bandwidth cap in each direction, in kbit/s (<see cref="NemesisKind.SlowNetwork"/>); 0 for none.</param>
/// <param name="Latency">
/// With a cap: the longest a packet waits in the cap's queue before it is dropped (tbf), or the added
/// delay (netem, which then also jitters and reorders).
/// </param>
public sealed record LinkFault(int LossPercent, int RateKbit, TimeSpan Latency)
{
    public static LinkFault Loss(int percent) => new(percent, 0, TimeSpan.Zero);

    public static LinkFault Slow(int rateKbit, TimeSpan latency) => new(0, rateKbit, latency);

    public override string ToString() => RateKbit > 0
        ? $"capped at {RateKbit} kbit/s each way, queueing up to {Latency.TotalMilliseconds:0} ms"
        : $"drop {LossPercent}% of packets each way";
}
