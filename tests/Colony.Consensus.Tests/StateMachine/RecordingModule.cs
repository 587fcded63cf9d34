using System.Text;
using Colony.Consensus.StateMachine;

namespace Colony.Consensus.Tests.StateMachine;

/// <summary>A module that remembers every command it applied, with its context; its snapshot is that list.</summary>
internal sealed class RecordingModule(ModuleId id) : IStateMachineModule
{
    public ModuleId Id { get; } = id;

    public List<(CommandContext Context, string Command)> Applied { get; } = [];

    public void Apply(in CommandContext context, ReadOnlySpan<byte> command) =>
        Applied.Add((context, Encoding.UTF8.GetString(command)));

    public void WriteSnapshot(Stream destination)
    {
        using var writer = new BinaryWriter(destination, Encoding.UTF8, leaveOpen: true);
        writer.Write(Applied.Count);
        foreach (var (context, command) in Applied)
        {
            writer.Write(context.Index);
            writer.Write(context.Term);
            writer.Write(context.Position);
            writer.Write(command);
        }
    }

    public void Restore(Stream source)
    {
        using var reader = new BinaryReader(source, Encoding.UTF8, leaveOpen: true);
        Applied.Clear();
        int count = reader.ReadInt32();
        for (int i = 0; i < count; i++)
        {
            var context = new CommandContext(reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadInt32());
            Applied.Add((context, reader.ReadString()));
        }
    }
}
