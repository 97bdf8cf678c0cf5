// The documentation and key specifications of Redis 7.0's commands, as COMMAND DOCS and COMMAND
// INFO report them. The table (CommandDocs.resp3, embedded) holds what Redis 7.0.15 answers over
// RESP3, captured by tools/capture-command-docs.py: for each command and subcommand, its docs map,
// its tips set and its key-spec array. It is parsed once into a small tree and written back through
// the reply buffer, so RESP2 clients get the flattened forms Redis gives them.
using System.Text;
using Csredis.Common.Resp;

namespace Csredis.Server.Commands;

/// <summary>A RESP3 value of the table: '+' simple, '$' bulk, ':' integer, '*' array, '~' set, '%' map (children in pairs).</summary>
public sealed class RespNode
{
    public char Type;
    public byte[] Text = [];
    public long Integer;
    public RespNode[] Children = [];

    public string String => Encoding.UTF8.GetString(Text);

    /// <summary>The value under <paramref name="key"/> in a map node, or null.</summary>
    public RespNode? Get(string key)
    {
        if (Type != '%') return null;
        for (int i = 0; i + 1 < Children.Length; i += 2)
            if (Children[i].String == key) return Children[i + 1];
        return null;
    }

    public void WriteTo(ReplyBuffer reply)
    {
        switch (Type)
        {
            case '+': reply.SimpleString(Text); break;
            case '$': reply.Bulk(Text); break;
            case ':': reply.Integer(Integer); break;
            case '*': reply.ArrayHeader(Children.Length); foreach (var c in Children) c.WriteTo(reply); break;
            case '~': reply.SetHeader(Children.Length); foreach (var c in Children) c.WriteTo(reply); break;
            case '%': reply.MapHeader(Children.Length / 2); foreach (var c in Children) c.WriteTo(reply); break;
        }
    }

    public static RespNode Parse(byte[] data, ref int pos)
    {
        int lineEnd = Array.IndexOf(data, (byte)'\r', pos);
        char type = (char)data[pos];
        string head = Encoding.ASCII.GetString(data, pos + 1, lineEnd - pos - 1);
        pos = lineEnd + 2;
        var node = new RespNode { Type = type };
        switch (type)
        {
            case '+':
                node.Text = Encoding.ASCII.GetBytes(head);
                break;
            case ':':
                node.Integer = long.Parse(head);
                break;
            case '$':
                int length = int.Parse(head);
                node.Text = data.AsSpan(pos, length).ToArray();
                pos += length + 2;
                break;
            default:
                int count = int.Parse(head) * (type == '%' ? 2 : 1);
                node.Children = new RespNode[count];
                for (int i = 0; i < count; i++) node.Children[i] = Parse(data, ref pos);
                break;
        }
        return node;
    }
}

public static class CommandDocs
{
    public sealed record Entry(RespNode Docs, RespNode Tips, RespNode KeySpecs);

    static Dictionary<string, Entry>? _table;

    /// <summary>The table, loaded on first use (COMMAND is rare; start-up stays quick).</summary>
    public static Dictionary<string, Entry> Table => _table ??= Load();

    static Dictionary<string, Entry> Load()
    {
        var table = new Dictionary<string, Entry>(StringComparer.OrdinalIgnoreCase);
        using var stream = typeof(CommandDocs).Assembly.GetManifestResourceStream("CommandDocs.resp3");
        if (stream == null) return table;
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        var data = memory.ToArray();
        int pos = 0;
        var root = RespNode.Parse(data, ref pos);
        for (int i = 0; i + 1 < root.Children.Length; i += 2)
        {
            var parts = root.Children[i + 1].Children;
            table[root.Children[i].String] = new Entry(parts[0], parts[1], parts[2]);
        }
        return table;
    }

    public static Entry? Find(Command cmd) => Table.GetValueOrDefault(cmd.Name);
}
