namespace Colony.IntegrationTests.Compute;

/// <summary>Streaming job scripts the tests ship with <c>colony job submit --file</c>: word count, slowed or broken on purpose.</summary>
internal sealed class StreamingScripts : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("colony-streaming-");

    public StreamingScripts()
    {
        // The mappers leave marker files here, and on a root node they run as the task user (nobody), not as the test.
        if (!OperatingSystem.IsWindows())
        {
            _directory.UnixFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupWrite
                | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        }
        // bytes.split() splits on ASCII whitespace, as word count's definition says.
        Write("wc_map.py", """
            import os, sys, time
            delay = float(sys.argv[1]) if len(sys.argv) > 1 else 0
            time.sleep(delay)
            mode = sys.argv[2] if len(sys.argv) > 2 else ""
            def executor():
                pid = os.getppid()
                while pid > 1:
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        if b"executor" in f.read().split(b"\0"):
                            return pid
                    with open(f"/proc/{pid}/stat") as f:
                        pid = int(f.read().rsplit(")", 1)[1].split()[1])
                raise RuntimeError("no executor among this process's parents")
            out = sys.stdout.buffer
            for line in sys.stdin.buffer:
                if mode == "throw" and b"colony" in line:
                    raise ValueError("this mapper refuses the word colony")
                if mode == "crash":
                    os.kill(executor(), 9)  # takes the executor down with it
                if mode == "hang":
                    time.sleep(3600)
                if mode == "straggle" and b"straggler" in line and not os.path.exists(sys.argv[3]):
                    open(sys.argv[3], "w").close()
                    time.sleep(3600)  # only the first attempt: its backup finds the marker and runs at full speed
                if mode == "once" and not os.path.exists(sys.argv[3]):
                    open(sys.argv[3], "w").close()
                    sys.exit(3)
                for word in line.split():
                    out.write(word + b"\t1\n")
            """);
        Write("wc_reduce.py", """
            import sys, time
            delay = float(sys.argv[1]) if len(sys.argv) > 1 else 0
            time.sleep(delay)
            out = sys.stdout.buffer
            current, total = None, 0
            for line in sys.stdin.buffer:
                key, _, value = line.rstrip(b"\n").partition(b"\t")
                if key != current:
                    if current is not None:
                        out.write(current + b"\t" + str(total).encode() + b"\n")
                    current, total = key, 0
                total += int(value)
            if current is not None:
                out.write(current + b"\t" + str(total).encode() + b"\n")
            """);
    }

    public string Map => Path.Combine(_directory.FullName, "wc_map.py");

    public string Reduce => Path.Combine(_directory.FullName, "wc_reduce.py");

    /// <summary>A path for a marker file that lives as long as these scripts.</summary>
    public string Marker(string name) => Path.Combine(_directory.FullName, name);

    /// <summary>Submits a streaming word count through the CLI, detached, and returns its id.</summary>
    public async Task<string> SubmitAsync(ComputeCluster cluster, string input, string output, int reducers, string mapArgs = "0", string reduceArgs = "0")
    {
        var (code, text) = await cluster.CliAsync("job", "submit", "--mapper", $"/usr/bin/python3 wc_map.py {mapArgs}", "--reducer", $"/usr/bin/python3 wc_reduce.py {reduceArgs}",
            "--file", Map, "--file", Reduce, "--input", input, "--output", output, "--reducers", reducers.ToString(System.Globalization.CultureInfo.InvariantCulture), "--detach");
        Assert.True(code == 0, text);
        return text.Trim().Split('\n')[^1].Trim();
    }

    private void Write(string name, string script) => File.WriteAllText(Path.Combine(_directory.FullName, name), script + "\n");

    public void Dispose() => _directory.Delete(recursive: true);
}
