using System.Diagnostics;
using System.Runtime.InteropServices;
using Colony.Node.Hosting;

namespace Colony.Node.Compute;

/// <summary>
/// Where and as whom a worker's executors run: the <see cref="TaskIdentity"/> decided at startup, and the
/// directory that holds their work directories. Isolated, every directory an executor is given is made its
/// task user's (mode 0700) before it starts, since the executor creates files there as that user; the node,
/// as root, still serves and removes them.
/// </summary>
public sealed class TaskSandbox : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>The root of an isolated node's work directories: others may pass through (to their own), not list.</summary>
    private const UnixFileMode PassThrough = OwnerOnly | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    /// <summary>Where <see cref="ForExecutor"/> keeps its copies.</summary>
    private const string CopiesDirectory = ".tls";

    /// <summary>The file in the data directory naming the work directories' root of an isolated node's last start.</summary>
    private const string RootRecord = "task-directory";

    private readonly bool _ownsRoot;
    private int _standbys;

    /// <summary>The root with every link resolved: where a file opened under it must really be.</summary>
    private readonly string _realRoot;

    internal TaskSandbox(TaskIdentity identity, string root, bool ownsRoot)
    {
        Identity = identity;
        Root = root;
        _ownsRoot = ownsRoot;
        _realRoot = identity.Isolated ? UnixAccounts.RealPath(root) : root;
    }

    public TaskIdentity Identity { get; }

    /// <summary>The directory holding one work directory per job (and one per standby executor).</summary>
    public string Root { get; }

    /// <summary>Decides the task identity and prepares the root; throws (the node does not start) if the configuration cannot work.</summary>
    public static TaskSandbox Create(NodeOptions node, ComputeOptions options)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(options);
        var identity = !options.Worker ? TaskIdentity.NodeUser("this node runs no tasks")
            : OperatingSystem.IsWindows() ? TaskIdentity.NodeUser("tasks run as the node's user (no task user on Windows)")
            : TaskIdentity.Decide(Environment.IsPrivilegedProcess, UnixAccounts.EffectiveUid(), options, UnixAccounts.Find, () => ExecutorBlocked(options));
        if (!string.IsNullOrWhiteSpace(options.TaskDirectory))
        {
            string root = Path.GetFullPath(options.TaskDirectory);
            Directory.CreateDirectory(root);
            if (identity.Isolated)
            {
                SetMode(root, PassThrough);
            }
            return new TaskSandbox(identity, root, ownsRoot: false);
        }
        if (!identity.Isolated)
        {
            return new TaskSandbox(identity, Path.Combine(node.DataDir, "compute"), ownsRoot: false);
        }
        // A fresh, unguessable directory made by this node (mkdtemp), so no other user can have prepared it. Its
        // name is kept in the data directory, so a node that was killed removes its predecessor's at the next start.
        // The record lists every root not yet removed, the new one first, before any is removed: a node killed
        // while it removes its predecessors' leaves none unnamed.
        string record = Path.Combine(node.DataDir, RootRecord);
        string[] stale = File.Exists(record) ? File.ReadAllLines(record).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray() : [];
        string fresh = Directory.CreateTempSubdirectory("colony-tasks-").FullName;
        WriteRecord(record, [fresh, .. stale]);
        SetMode(fresh, PassThrough);
        var sandbox = new TaskSandbox(identity, fresh, ownsRoot: true);
        string[] left = [.. stale.Where(root => root != fresh && !sandbox.RemoveRoot(root))];
        WriteRecord(record, [fresh, .. left]);
        return sandbox;
    }

    /// <summary>
    /// Why other users could not start the executor program, judged by the "other" permission bits (a task user is
    /// rarely the program's owner or in its group); null when they can. A program installed under a private home
    /// directory, or a build in one, is the usual cause.
    /// </summary>
    private static string? ExecutorBlocked(ComputeOptions options)
    {
        if (OperatingSystem.IsWindows())
        {
            return null;
        }
        var (program, arguments) = ExecutorProcess.Command(options.ExecutorCommand);
        var needed = new List<(string File, UnixFileMode Bit)>();
        if (File.Exists(program))
        {
            needed.Add((Path.GetFullPath(program), UnixFileMode.OtherExecute));
        }
        if (arguments.Count > 0 && File.Exists(arguments[0]))
        {
            needed.Add((Path.GetFullPath(arguments[0]), UnixFileMode.OtherRead)); // dotnet colony.dll
        }
        foreach (var (file, bit) in needed)
        {
            if ((File.GetUnixFileMode(file) & bit) == 0)
            {
                return $"{file} is mode {Convert.ToString((int)File.GetUnixFileMode(file), 8)}, not {(bit == UnixFileMode.OtherRead ? "readable" : "executable")} by other users";
            }
            for (string? directory = Path.GetDirectoryName(file); directory is not null; directory = Path.GetDirectoryName(directory))
            {
                if ((File.GetUnixFileMode(directory) & UnixFileMode.OtherExecute) == 0)
                {
                    return $"{directory} is not searchable by other users, and {file} is in it";
                }
            }
        }
        return null;
    }

    public string JobDirectory(string job) => MapOutputLocation.JobDirectory(Root, job);

    /// <summary>The job's work directory, made (or kept) and given to the task user.</summary>
    public string PrepareJobDirectory(string job) => Prepare(JobDirectory(job));

    /// <summary>A new work directory for a standby executor, which has no job yet. Its name is no job's, so no beat reports it.</summary>
    public string PrepareStandbyDirectory() => Prepare(Path.Combine(Root, $".standby-{Environment.ProcessId}-{Interlocked.Increment(ref _standbys)}"));

    /// <summary>The temporary directory inside an executor's work directory (its TMPDIR).</summary>
    public static string TemporaryDirectory(string home) => Path.Combine(home, "tmp");

    /// <summary>
    /// A copy of one of the node's files (its TLS certificate and key) that an isolated executor can read, taken
    /// afresh for each executor so a rotated certificate reaches new ones; the path itself when tasks run as the
    /// node's user. The copies live in a directory of the node's, never in one a task can write to: a link
    /// planted there could turn the node's copy into a write anywhere.
    /// </summary>
    public string ForExecutor(string file)
    {
        if (!Identity.Isolated)
        {
            return file;
        }
        string directory = Path.Combine(Root, CopiesDirectory);
        Directory.CreateDirectory(directory);
        SetMode(directory, PassThrough);
        string copy = Path.Combine(directory, Path.GetFileName(file));
        File.Copy(file, copy, overwrite: true);
        SetMode(copy, UnixFileMode.UserRead);
        GiveToTaskUser(copy);
        return copy;
    }

    /// <summary>
    /// Opens a file an executor wrote (a map output), for the node to read. An isolated task owns its work
    /// directory and could replace the file with a link to one only the node may read (the cluster secret): a
    /// file that turns out to be anywhere but where it is named is refused.
    /// </summary>
    public FileStream OpenTaskFile(string path, int bufferSize = 4096, FileOptions options = FileOptions.None)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize, options);
        if (!Identity.Isolated)
        {
            return file;
        }
        // What the kernel opened, whatever links led there: checked after the open, so no swap can slip between.
        string? opened = File.ResolveLinkTarget($"/proc/self/fd/{file.SafeFileHandle.DangerousGetHandle()}", returnFinalTarget: false)?.FullName;
        string expected = Path.Join(_realRoot, Path.GetRelativePath(Root, Path.GetFullPath(path)));
        if (!string.Equals(opened, expected, StringComparison.Ordinal))
        {
            file.Dispose();
            throw new UnauthorizedAccessException($"{path} is not a file of the task's own: it leads to {opened}");
        }
        return file;
    }

    /// <summary>
    /// Removes an executor's work directory and everything in it. Isolated, what is inside is removed by the task
    /// user itself (find -delete, which never follows links): a task could swap a directory for a link while the
    /// node walks it, and the node, as root, would then delete whatever the link leads to. The node only removes
    /// the emptied directory, from the root no task may write to.
    /// </summary>
    public void Remove(string directory)
    {
        if (!Directory.Exists(directory) || new DirectoryInfo(directory).LinkTarget is not null)
        {
            return;
        }
        if (Identity.Account is { } account)
        {
            var start = new ProcessStartInfo("find") { UserName = account.Name, WorkingDirectory = "/", UseShellExecute = false, RedirectStandardError = true };
            foreach (string argument in (string[])[directory, "-mindepth", "1", "-delete"])
            {
                start.ArgumentList.Add(argument);
            }
            Process find;
            try
            {
                find = Process.Start(start) ?? throw new IOException($"could not remove {directory}: find did not start");
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                throw new IOException($"could not remove {directory}: {e.Message}", e);
            }
            using var started = find;
            string errors = find.StandardError.ReadToEnd();
            find.WaitForExit();
            if (find.ExitCode != 0 && Directory.Exists(directory)) // gone: another remover (a stopping node's) was there first
            {
                throw new IOException($"could not remove what is in {directory}: {errors.Trim()}");
            }
        }
        try
        {
            Directory.Delete(directory, recursive: !Identity.Isolated);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    /// <summary>
    /// Removes a root of work directories: each one as <see cref="Remove"/> does, then the node's own copies and the
    /// root. One that cannot be removed does not stop the others. True when the root is gone.
    /// </summary>
    private bool RemoveRoot(string root)
    {
        if (!Directory.Exists(root))
        {
            return true;
        }
        if (new DirectoryInfo(root).LinkTarget is not null || !Path.GetFileName(root).StartsWith("colony-tasks-", StringComparison.Ordinal))
        {
            return true; // not a root this node made: not its to remove
        }
        try
        {
            foreach (string directory in Directory.EnumerateDirectories(root))
            {
                try
                {
                    if (Path.GetFileName(directory) == CopiesDirectory)
                    {
                        Directory.Delete(directory, recursive: true); // the node's, in the node's root: no task could write there
                    }
                    else
                    {
                        Remove(directory);
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                }
            }
            Directory.Delete(root);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return !Directory.Exists(root); // what is left is named in the record, for the next start
        }
    }

    /// <summary>Replaces the record of the roots to remove all at once (a rename), so a kill never leaves half of it.</summary>
    private static void WriteRecord(string record, IEnumerable<string> roots)
    {
        string temporary = record + ".tmp";
        File.WriteAllLines(temporary, roots);
        File.Move(temporary, record, overwrite: true);
    }

    /// <summary>
    /// Makes an executor's directory and its tmp/, then gives them to the task user: the temporary directory first,
    /// so the task user never owns a directory the node still works in. A directory that already exists (the job's,
    /// for its next executor) is the task user's already and is left alone: as root, the node does not follow
    /// anything a task may have put inside it.
    /// </summary>
    private string Prepare(string directory)
    {
        if (Directory.Exists(directory))
        {
            return directory;
        }
        Directory.CreateDirectory(directory);
        string temporary = TemporaryDirectory(directory);
        Directory.CreateDirectory(temporary);
        if (Identity.Isolated)
        {
            foreach (string path in (string[])[temporary, directory])
            {
                SetMode(path, OwnerOnly);
                GiveToTaskUser(path);
            }
        }
        return directory;
    }

    private static void SetMode(string path, UnixFileMode mode)
    {
        if (!OperatingSystem.IsWindows()) // where tasks are never isolated
        {
            File.SetUnixFileMode(path, mode);
        }
    }

    private void GiveToTaskUser(string path)
    {
        var account = Identity.Account!;
        UnixAccounts.ChangeOwner(path, account.Uid, account.Gid);
    }

    public void Dispose()
    {
        if (_ownsRoot)
        {
            RemoveRoot(Root);
        }
    }
}

/// <summary>The few calls into the C library that user switching needs and .NET does not offer.</summary>
internal static class UnixAccounts
{
    public static uint EffectiveUid() => OperatingSystem.IsWindows() ? 0 : NativeGetEuid();

    /// <summary>The account named <paramref name="name"/> (getpwnam), or null.</summary>
    public static TaskAccount? Find(string name)
    {
        // struct passwd begins with two pointers (name, password), then uid_t and gid_t, on Linux and macOS alike.
        nint entry = NativeGetPwNam(name);
        if (entry == 0)
        {
            return null;
        }
        uint uid = (uint)Marshal.ReadInt32(entry, 2 * IntPtr.Size);
        uint gid = (uint)Marshal.ReadInt32(entry, (2 * IntPtr.Size) + 4);
        return new TaskAccount(name, uid, gid);
    }

    /// <summary>The path with every link resolved (realpath).</summary>
    public static string RealPath(string path)
    {
        nint resolved = NativeRealPath(path, 0);
        if (resolved == 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"could not resolve '{path}': {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
        }
        try
        {
            return Marshal.PtrToStringUTF8(resolved)!;
        }
        finally
        {
            NativeFree(resolved);
        }
    }

    public static void ChangeOwner(string path, uint uid, uint gid)
    {
        // lchown: a link planted in a work directory gets its own owner changed, never its target's.
        if (NativeLchown(path, uid, gid) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"could not give '{path}' to uid {uid}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
        }
    }

    // DllImport rather than LibraryImport: the generated stubs need unsafe code, and these marshal only a UTF-8 string and ints.
    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint NativeGetEuid();

    [DllImport("libc", EntryPoint = "getpwnam", SetLastError = true)]
    private static extern nint NativeGetPwNam([MarshalAs(UnmanagedType.LPUTF8Str)] string name);

    [DllImport("libc", EntryPoint = "realpath", SetLastError = true)]
    private static extern nint NativeRealPath([MarshalAs(UnmanagedType.LPUTF8Str)] string path, nint resolved);

    [DllImport("libc", EntryPoint = "free")]
    private static extern void NativeFree(nint memory);

    [DllImport("libc", EntryPoint = "lchown", SetLastError = true)]
    private static extern int NativeLchown([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint owner, uint group);
}
