using System.Globalization;
using System.Text.RegularExpressions;
using Colony.Testing.Linearizability;

namespace Colony.FaultTests.Workloads;

/// <summary>
/// Reads back a register history as a campaign writes it (<c>history.txt</c>, one
/// <see cref="Model{TState, TInput, TOutput}.Describe"/> line per operation), so that a kept history can be
/// checked again, e.g. by a later checker (<c>tools/faults/recheck-history.sh</c>).
/// </summary>
public static partial class RegisterHistoryText
{
    public static List<Operation<RegisterInput, RegisterOutput>> Parse(IEnumerable<string> lines)
    {
        var history = new List<Operation<RegisterInput, RegisterOutput>>();
        int number = 0;
        foreach (var line in lines)
        {
            number++;
            if (line.Length == 0)
            {
                continue;
            }
            var m = Line().Match(line);
            if (!m.Success)
            {
                throw new FormatException($"line {number} is not a register operation: {line}");
            }
            int client = Int(m.Groups["client"].Value);
            long call = long.Parse(m.Groups["call"].Value, CultureInfo.InvariantCulture);
            var input = Input(m.Groups["op"].Value, m.Groups["args"].Value, number);
            string outcome = m.Groups["out"].Value;
            if (m.Groups["ret"].Value == "pending")
            {
                history.Add(Operation<RegisterInput, RegisterOutput>.Pending(client, input, call));
                continue;
            }
            long ret = long.Parse(m.Groups["ret"].Value, CultureInfo.InvariantCulture);
            history.Add(new(client, input, Output(outcome, number), call, ret));
        }
        return history;
    }

    private static RegisterInput Input(string op, string args, int number)
    {
        var a = Arguments().Match(args);
        if (!a.Success)
        {
            throw new FormatException($"line {number}: cannot read the arguments of {op}({args})");
        }
        string key = a.Groups["key"].Value;
        return op switch
        {
            "read" when !a.Groups["value"].Success => new RegisterInput(RegisterOpKind.Read, key),
            "write" when a.Groups["value"].Success && !a.Groups["expected"].Success => new RegisterInput(RegisterOpKind.Write, key, a.Groups["value"].Value),
            "cas" when a.Groups["value"].Success && a.Groups["expected"].Success =>
                new RegisterInput(RegisterOpKind.CompareAndSet, key, a.Groups["value"].Value, Int(a.Groups["expected"].Value)),
            _ => throw new FormatException($"line {number}: {op}({args}) is not a read, write or cas"),
        };
    }

    private static RegisterOutput Output(string text, int number)
    {
        if (text == "BadVersion")
        {
            return new RegisterOutput(false, null, 0);
        }
        var o = Answer().Match(text);
        if (!o.Success)
        {
            throw new FormatException($"line {number}: cannot read the answer {text}");
        }
        return new RegisterOutput(true, o.Groups["value"].Success ? o.Groups["value"].Value : null, Int(o.Groups["version"].Value));
    }

    private static int Int(string text) => int.Parse(text, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^client (?<client>-?\d+) \[(?<call>\d+), (?<ret>\d+|pending)\]: (?<op>read|write|cas)\((?<args>.*)\) -> (?<out>.*)$")]
    private static partial Regex Line();

    [GeneratedRegex(@"^(?<key>[^,]+)(, v(?<expected>-?\d+))?(, ""(?<value>[^""]*)"")?$")]
    private static partial Regex Arguments();

    [GeneratedRegex(@"^(ok|""(?<value>[^""]*)"") v(?<version>\d+)$")]
    private static partial Regex Answer();
}
