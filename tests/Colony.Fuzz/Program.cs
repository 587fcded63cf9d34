using Colony.Fuzz;
using SharpFuzz;

// colony-fuzz TARGET            run under afl-fuzz (SharpFuzz's persistent loop over stdin)
// colony-fuzz TARGET FILE...    run the target once per file (replaying a crash or a corpus)
// colony-fuzz --seeds DIR        write the seed corpus, DIR/TARGET/NAME
if (args is ["--seeds", var seedDirectory])
{
    SeedCorpus.Write(seedDirectory);
    return 0;
}

if (args.Length == 0 || !FuzzTargets.All.TryGetValue(args[0], out var target))
{
    Console.Error.WriteLine($"usage: colony-fuzz TARGET [FILE...]; targets: {string.Join(", ", FuzzTargets.All.Keys)}");
    return 2;
}

if (args.Length > 1)
{
    foreach (string file in args.Skip(1))
    {
        target(File.ReadAllBytes(file));
    }
    return 0;
}

Fuzzer.OutOfProcess.Run(stream =>
{
    using var copy = new MemoryStream();
    stream.CopyTo(copy);
    target(copy.ToArray());
});
return 0;
