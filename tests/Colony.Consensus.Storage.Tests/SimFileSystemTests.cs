using Colony.Core;
using Colony.Testing.Storage;

namespace Colony.Consensus.Storage.Tests;

public class SimFileSystemTests
{
    private const string Dir = "disk";
    private static readonly string FilePath = Path.Combine(Dir, "a.dat");

    private static SimFileSystem NewFileSystem()
    {
        var fileSystem = new SimFileSystem();
        fileSystem.CreateDirectory(Dir);
        return fileSystem;
    }

    private static byte[] Bytes(int count, byte seed) => Enumerable.Range(0, count).Select(i => (byte)(seed + i)).ToArray();

    /// <summary>A file with 100 synced bytes whose name is durable.</summary>
    private static SimFileSystem WithSyncedFile()
    {
        var fileSystem = NewFileSystem();
        using var file = fileSystem.Open(FilePath, FileOpenMode.CreateNew);
        file.Write(0, Bytes(100, 1));
        file.Sync();
        fileSystem.SyncDirectory(Dir);
        return fileSystem;
    }

    [Fact]
    public void Reads_see_unsynced_writes()
    {
        var fileSystem = NewFileSystem();
        using var file = fileSystem.Open(FilePath, FileOpenMode.CreateNew);
        file.Write(10, Bytes(5, 1));

        Assert.Equal(15, file.Length);
        var read = new byte[20];
        Assert.Equal(15, file.Read(0, read));
        Assert.Equal(new byte[10], read[..10]);
        Assert.Equal(Bytes(5, 1), read[10..15]);
    }

    [Fact]
    public void A_crash_keeps_synced_bytes_and_drops_the_rest()
    {
        var fileSystem = WithSyncedFile();
        fileSystem.TornWriteProbability = 0;
        using (var file = fileSystem.Open(FilePath, FileOpenMode.ReadWrite))
        {
            file.Write(50, Bytes(200, 9));
            file.SetLength(120);
        }

        fileSystem.Crash(new SeededRandom(1));

        Assert.Equal(Bytes(100, 1), fileSystem.ReadAllBytes(FilePath));
    }

    [Fact]
    public void A_crash_undoes_an_unsynced_truncation()
    {
        var fileSystem = WithSyncedFile();
        using (var file = fileSystem.Open(FilePath, FileOpenMode.ReadWrite))
        {
            file.SetLength(10);
            file.Write(10, Bytes(5, 200));
            file.SetLength(12);
        }

        fileSystem.Crash(new SeededRandom(1));

        Assert.Equal(Bytes(100, 1), fileSystem.ReadAllBytes(FilePath));
    }

    [Fact]
    public void A_created_file_survives_a_crash_only_once_its_directory_is_synced()
    {
        var fileSystem = NewFileSystem();
        using (var file = fileSystem.Open(FilePath, FileOpenMode.CreateNew))
        {
            file.Write(0, Bytes(10, 1));
            file.Sync();
        }

        fileSystem.Crash(new SeededRandom(1));
        Assert.False(fileSystem.FileExists(FilePath));

        Assert.Equal(Bytes(100, 1), WithSyncedFileThenCrash());
    }

    private static byte[] WithSyncedFileThenCrash()
    {
        var fileSystem = WithSyncedFile();
        fileSystem.Crash(new SeededRandom(1));
        return fileSystem.ReadAllBytes(FilePath);
    }

    [Fact]
    public void Renames_and_deletes_are_undone_by_a_crash_until_the_directory_is_synced()
    {
        var fileSystem = WithSyncedFile();
        string renamed = Path.Combine(Dir, "b.dat");
        fileSystem.Rename(FilePath, renamed);
        fileSystem.Crash(new SeededRandom(1));
        Assert.Equal(["a.dat"], fileSystem.ListFiles(Dir));

        fileSystem.Rename(FilePath, renamed);
        fileSystem.SyncDirectory(Dir);
        fileSystem.Crash(new SeededRandom(1));
        Assert.Equal(["b.dat"], fileSystem.ListFiles(Dir));

        fileSystem.Delete(renamed);
        Assert.Empty(fileSystem.ListFiles(Dir));
        fileSystem.Crash(new SeededRandom(1));
        Assert.Equal(Bytes(100, 1), fileSystem.ReadAllBytes(renamed));
    }

    [Fact]
    public void A_rename_replaces_the_destination()
    {
        var fileSystem = WithSyncedFile();
        string other = Path.Combine(Dir, "b.dat");
        using (var file = fileSystem.Open(other, FileOpenMode.CreateNew))
        {
            file.Write(0, Bytes(3, 7));
        }

        fileSystem.Rename(other, FilePath);

        Assert.Equal(Bytes(3, 7), fileSystem.ReadAllBytes(FilePath));
        Assert.Equal(["a.dat"], fileSystem.ListFiles(Dir));
    }

    [Fact]
    public void A_torn_write_keeps_a_prefix_of_the_last_write()
    {
        var lengths = new HashSet<long>();
        int flipped = 0;
        for (ulong seed = 0; seed < 300; seed++)
        {
            var fileSystem = WithSyncedFile();
            fileSystem.TornWriteProbability = 1;
            byte[] appended = Bytes(64, 77);
            using (var file = fileSystem.Open(FilePath, FileOpenMode.ReadWrite))
            {
                file.Write(100, appended);
            }

            fileSystem.Crash(new SeededRandom(seed));

            byte[] bytes = fileSystem.ReadAllBytes(FilePath);
            Assert.InRange(bytes.Length, 100, 164);
            Assert.Equal(Bytes(100, 1), bytes[..100]);
            int differences = bytes[100..].Where((b, i) => b != appended[i]).Count();
            Assert.InRange(differences, 0, 3);
            flipped += differences > 0 ? 1 : 0;
            lengths.Add(bytes.Length);
        }
        Assert.True(lengths.Count > 30, "tears should cut at many places");
        Assert.InRange(flipped, 10, 150);
    }

    [Fact]
    public void A_crash_replays_exactly_from_its_seed()
    {
        static byte[] Run(ulong seed)
        {
            var fileSystem = WithSyncedFile();
            using (var file = fileSystem.Open(FilePath, FileOpenMode.ReadWrite))
            {
                file.Write(100, Bytes(1000, 3));
            }
            fileSystem.Crash(new SeededRandom(seed));
            return fileSystem.ReadAllBytes(FilePath);
        }

        Assert.Equal(Run(42), Run(42));
        Assert.Contains(Enumerable.Range(0, 20), seed => Run((ulong)seed).Length != Run(42).Length);
    }

    [Fact]
    public void Handles_opened_before_a_crash_stop_working()
    {
        var fileSystem = WithSyncedFile();
        using var file = fileSystem.Open(FilePath, FileOpenMode.ReadWrite);

        fileSystem.Crash(new SeededRandom(1));

        Assert.Throws<InvalidOperationException>(() => file.Write(0, Bytes(1, 1)));
        Assert.Throws<InvalidOperationException>(() => file.Length);
    }

    [Fact]
    public void A_write_past_the_capacity_fails_and_changes_nothing()
    {
        var fileSystem = WithSyncedFile();
        fileSystem.CapacityBytes = 150;
        using var file = fileSystem.Open(FilePath, FileOpenMode.ReadWrite);

        var error = Assert.Throws<IOException>(() => file.Write(100, Bytes(51, 1)));
        Assert.Contains("No space left", error.Message);
        Assert.Equal(100, file.Length);

        file.Write(100, Bytes(50, 1));
        file.Write(0, Bytes(150, 1)); // overwriting needs no space
        Assert.Equal(150, fileSystem.UsedBytes);
    }

    [Fact]
    public void Corrupting_a_byte_changes_both_the_disk_and_what_reads_see()
    {
        var fileSystem = WithSyncedFile();

        fileSystem.CorruptByte(FilePath, 7, 0x0F);
        Assert.Equal((byte)((1 + 7) ^ 0x0F), fileSystem.ReadAllBytes(FilePath)[7]);
        fileSystem.Crash(new SeededRandom(1));
        Assert.Equal((byte)((1 + 7) ^ 0x0F), fileSystem.ReadAllBytes(FilePath)[7]);
    }

    [Fact]
    public void Fsyncs_are_counted_and_can_be_made_to_fail()
    {
        var fileSystem = WithSyncedFile();
        Assert.Equal(1, fileSystem.FileSyncCount);
        Assert.Equal(1, fileSystem.DirectorySyncCount);
        fileSystem.FailWhen = (operation, _) => operation == SimFileOperation.SyncFile;
        using var file = fileSystem.Open(FilePath, FileOpenMode.ReadWrite);

        Assert.Throws<IOException>(file.Sync);
        Assert.Equal(1, fileSystem.FileSyncCount);
    }

    [Fact]
    public void Read_only_handles_refuse_writes()
    {
        var fileSystem = WithSyncedFile();
        using var file = fileSystem.Open(FilePath, FileOpenMode.Read);

        Assert.Throws<UnauthorizedAccessException>(() => file.Write(0, Bytes(1, 1)));
        Assert.Throws<FileNotFoundException>(() => fileSystem.Open(Path.Combine(Dir, "none"), FileOpenMode.Read));
        Assert.Throws<IOException>(() => fileSystem.Open(FilePath, FileOpenMode.CreateNew));
        Assert.Throws<DirectoryNotFoundException>(() => fileSystem.ListFiles("elsewhere"));
    }
}
