using System.Diagnostics;
using Colony.FaultTests.Campaigns;
using Colony.FaultTests.Workloads;
using Colony.Testing.Linearizability;

namespace Colony.FaultTests;

public class AvailabilityTests
{
    private static readonly long Ms = Stopwatch.Frequency / 1000;

    [Fact]
    public void A_host_cut_off_waits_out_the_fault_while_the_others_are_answered()
    {
        // Processes 1 and 2 run on host 1, process 3 on host 2, process 4 in the root namespace.
        var hostOf = new Dictionary<int, int> { [1] = 1, [2] = 1, [3] = 2 };
        var history = new List<Operation<RegisterInput, RegisterOutput>>
        {
            Read(1, 0, 10), Read(1, 20, 30),
            // Host 1 is cut off from 30 ms: process 1's next call never returns; process 2 is answered at 400.
            Operation<RegisterInput, RegisterOutput>.Pending(1, new RegisterInput(RegisterOpKind.Write, "/k", "x"), 40 * Ms),
            Read(2, 390, 400),
            // Host 2 is answered every 100 ms or sooner.
            Read(3, 0, 50), Read(3, 50, 150), Read(3, 150, 250), Read(3, 250, 350), Read(3, 350, 450), Read(3, 450, 520),
            // The root namespace's client gives the run's last answer.
            Read(4, 500, 600),
        };

        var gaps = Availability.LongestGapPerHost(history, hostOf);

        Assert.Equal([1, 2], gaps.Keys.Order());
        Assert.Equal(370, gaps[1], 3);       // from its answer at 30 to the one at 400
        Assert.Equal(100, gaps[2], 3);       // between its own answers; 520 → the run's last (600) is 80
        Assert.Equal(100, Availability.LongestGap(history), 3); // some client was answered at least every 100 ms
    }

    [Fact]
    public void A_host_that_never_got_an_answer_waited_the_whole_run()
    {
        var history = new List<Operation<RegisterInput, RegisterOutput>>
        {
            Operation<RegisterInput, RegisterOutput>.Pending(1, new RegisterInput(RegisterOpKind.Read, "/k"), 5 * Ms),
            Read(2, 0, 100),
        };

        var gaps = Availability.LongestGapPerHost(history, new Dictionary<int, int> { [1] = 3 });

        Assert.Equal(100, gaps[3], 3);
    }

    private static Operation<RegisterInput, RegisterOutput> Read(int client, long call, long ret) =>
        new(client, new RegisterInput(RegisterOpKind.Read, "/k"), new RegisterOutput(true, "v", 1), call * Ms, ret * Ms);
}
