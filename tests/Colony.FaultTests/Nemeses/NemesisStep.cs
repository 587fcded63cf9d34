namespace Colony.FaultTests.Nemeses;

/// <summary>
/// One fault of a schedule: what, when (from the start of the campaign), for how long, and on which
/// nodes. <see cref="NemesisKind.IsolateLeader"/> and <see cref="NemesisKind.ClockJump"/> name no node:
/// the leader is known only when they run. <paramref name="Amount"/> is the fsync delay of a slow disk
/// or the step of a clock jump (negative: back); <paramref name="Link"/> how a lossy or slow network degrades
/// the targets' links.
/// </summary>
public sealed record NemesisStep(
    int Index, NemesisKind Kind, TimeSpan Start, TimeSpan Duration, IReadOnlyList<int> Targets, Cuts Cuts, TimeSpan Amount = default, LinkFault? Link = null)
{
    public TimeSpan End => Start + Duration;

    public override string ToString()
    {
        string what = Kind switch
        {
            NemesisKind.IsolateLeader => "isolate the leader",
            NemesisKind.Kill => $"kill -9 node(s) {string.Join(',', Targets)}, restart at heal",
            NemesisKind.Pause => $"SIGSTOP node {string.Join(',', Targets)}, SIGCONT at heal",
            NemesisKind.FullDisk => $"fill node {string.Join(',', Targets)}'s disk, empty it at heal",
            NemesisKind.SlowDisk => $"log and block fsyncs of node(s) {string.Join(',', Targets)} {Amount.TotalMilliseconds:0} ms slower, until the heal",
            NemesisKind.ClockJump => $"step the leader's wall clock {(Amount < TimeSpan.Zero ? "back" : "forward")} {Amount.Duration().TotalSeconds:0.0} s, set right at heal",
            NemesisKind.Lossy or NemesisKind.SlowNetwork => $"node(s) {string.Join(',', Targets)} {Link}, until the heal",
            _ => Cuts.ToString(),
        };
        return $"#{Index} at {Start.TotalSeconds,5:0.0} s for {Duration.TotalSeconds,4:0.0} s: {Kind,-16} {what}";
    }
}
