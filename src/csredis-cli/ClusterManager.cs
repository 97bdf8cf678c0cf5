// The cluster manager (--cluster SUBCOMMAND), redis-cli 7.0's tool for building and operating a Redis
// Cluster of real nodes. This file holds its model and its common steps: the node table loaded from one
// node's CLUSTER NODES (that node, then the "friends" it knows, each asked for its own view), the
// coloured log lines, the node listing, the consistency signature (every node must report the same
// slot ranges for the same node IDs), waiting for a cluster to join, and the full check (open slots,
// slot coverage, multiple owners). ClusterFix.cs repairs what the check finds and moves slots;
// ClusterCommands.cs holds the subcommands. Output (texts, order, colours, exit codes) follows redis-cli.
using System.Text;
using Csredis.Common.Client;
using Csredis.Common.Cluster;

namespace Csredis.Cli;

[Flags]
public enum ClusterNodeFlags
{
    None = 0, Myself = 1, Slave = 2, Friend = 4, NoAddress = 8, Disconnected = 16, Fail = 32,
}

/// <summary>One cluster node as the manager sees it: address, ID, role, slots, open slots.</summary>
public sealed class ClusterNode(string ip, int port, int busPort = 0)
{
    public RedisBlockingConnection? Connection;
    public string? Name;
    public readonly string Ip = ip;
    public readonly int Port = port;
    public int BusPort = busPort;
    public ulong CurrentEpoch;
    public ClusterNodeFlags Flags;
    public List<string>? FlagNames;
    /// <summary>The master's ID when this node is a replica.</summary>
    public string? Replicate;
    /// <summary>A planned configuration (slots or master) not yet sent to the node.</summary>
    public bool Dirty;
    public readonly bool[] Slots = new bool[HashSlot.SlotCount];
    public int SlotsCount;
    public int ReplicasCount;
    public List<ClusterNode>? Friends;
    public readonly List<(string Slot, string Node)> Migrating = [];
    public readonly List<(string Slot, string Node)> Importing = [];
    public float Weight = 1;
    public int Balance;

    public bool IsReplica => (Flags & ClusterNodeFlags.Slave) != 0;

    public void ResetSlots()
    {
        Array.Clear(Slots);
        SlotsCount = 0;
    }
}

public sealed partial class ClusterManager
{
    private enum LogLevel { Info, Warn, Error, Success }

    private readonly CliSession session;
    private readonly ClusterCommandOptions options;
    private List<ClusterNode> nodes = [];
    private readonly List<string> errors = [];
    private int unreachableMasters;

    private ClusterManager(CliSession session)
    {
        this.session = session;
        options = session.Options.Cluster;
    }

    /// <summary>redis-cli's isColorTerm: TERM names an xterm.</summary>
    public static bool IsColorTerm() => Environment.GetEnvironmentVariable("TERM")?.Contains("xterm") == true;

    private delegate bool Subcommand(ClusterManager manager, string[] args);

    private static readonly (string Name, Subcommand Run, int Arity, string? Args, string? Options)[] Subcommands =
    [
        ("create", (m, a) => m.Create(a), -2, "host1:port1 ... hostN:portN", "replicas <arg>"),
        ("check", (m, a) => m.Check(a), -1, "<host:port> or <host> <port> - separated by either colon or space", "search-multiple-owners"),
        ("info", (m, a) => m.Info(a), -1, "<host:port> or <host> <port> - separated by either colon or space", null),
        ("fix", (m, a) => m.FixCommand(a), -1, "<host:port> or <host> <port> - separated by either colon or space",
            "search-multiple-owners,fix-with-unreachable-masters"),
        ("reshard", (m, a) => m.Reshard(a), -1, "<host:port> or <host> <port> - separated by either colon or space",
            "from <arg>,to <arg>,slots <arg>,yes,timeout <arg>,pipeline <arg>,replace"),
        ("rebalance", (m, a) => m.Rebalance(a), -1, "<host:port> or <host> <port> - separated by either colon or space",
            "weight <node1=w1...nodeN=wN>,use-empty-masters,timeout <arg>,simulate,pipeline <arg>,threshold <arg>,replace"),
        ("add-node", (m, a) => m.AddNode(a), 2, "new_host:new_port existing_host:existing_port", "slave,master-id <arg>"),
        ("del-node", (m, a) => m.DeleteNode(a), 2, "host:port node_id", null),
        ("call", (m, a) => m.Call(a), -2, "host:port command arg arg .. arg", "only-masters,only-replicas"),
        ("set-timeout", (m, a) => m.SetTimeout(a), 2, "host:port milliseconds", null),
        ("import", (m, a) => m.Import(a), 1, "host:port", "from <arg>,from-user <arg>,from-pass <arg>,from-askpass,copy,replace"),
        ("backup", (m, a) => m.Backup(a), 2, "host:port backup_directory", null),
        ("help", (m, _) => m.Help(), 0, null, null),
    ];

    public static int Run(CliSession session)
    {
        var options = session.Options.Cluster;
        Subcommand? run = null;
        foreach (var command in Subcommands)
        {
            if (command.Name != options.Name) continue;
            int argc = options.Args.Length;
            if ((command.Arity > 0 && argc != command.Arity) || (command.Arity < 0 && argc < -command.Arity))
            {
                Stdio.Error("[ERR] Wrong number of arguments for specified --cluster sub command\n");
                return 1;
            }
            run = command.Run;
        }
        if (run is null)
        {
            Stdio.Error("Unknown --cluster subcommand\n");
            return 1;
        }
        var manager = new ClusterManager(session);
        try { return run(manager, options.Args) ? 0 : 1; }
        finally
        {
            foreach (var node in manager.nodes) node.Connection?.Dispose();
        }
    }

    private bool Help()
    {
        var text = new StringBuilder("Cluster Manager Commands:\n");
        const int padding = 15;
        foreach (var command in Subcommands)
        {
            text.Append("  ").Append(command.Name.PadRight(padding)).Append(command.Args ?? "").Append('\n');
            if (command.Options is null) continue;
            foreach (var option in command.Options.Split(',', StringSplitOptions.RemoveEmptyEntries))
                text.Append(new string(' ', padding)).Append("  --cluster-").Append(option).Append('\n');
        }
        text.Append("\nFor check, fix, reshard, del-node, set-timeout, info, rebalance, call, import, backup you can specify " +
                    "the host and port of any working node in the cluster.\n\n");
        text.Append("Cluster Manager Options:\n  --cluster-yes  Automatic yes to cluster commands prompts\n\n");
        Print(text.ToString());
        return false;
    }

    // --- output -------------------------------------------------------------------------------------

    private void Print(string text) => session.WriteStdout(Encoding.UTF8.GetBytes(text));

    private void Log(LogLevel level, string text)
    {
        if (!options.Colors)
        {
            Print(text);
            return;
        }
        string color = level switch { LogLevel.Info => "29;1m", LogLevel.Warn => "33;1m", LogLevel.Error => "31;1m", _ => "32;1m" };
        Print("\x1b[" + color + text + "\x1b[0m");
    }

    private void LogInfo(string text) => Log(LogLevel.Info, text);
    private void LogWarn(string text) => Log(LogLevel.Warn, text);
    private void LogError(string text) => Log(LogLevel.Error, text);
    private void LogOk(string text) => Log(LogLevel.Success, text);

    private void PrintReplyError(ClusterNode node, string error) =>
        LogError($"Node {node.Ip}:{node.Port} replied with error:\n{error}\n");

    /// <summary>Records a problem found by a check (the command fails) and prints it.</summary>
    private void OnError(string error)
    {
        errors.Add(error);
        LogError(error + "\n");
    }

    private const string InvalidHostArguments =
        "[ERR] Invalid arguments: you need to pass either a valid address (ie. 120.0.0.1:7000) or space separated IP and port (ie. 120.0.0.1 7000)\n";

    private static bool InvalidArguments()
    {
        Stdio.Error(InvalidHostArguments);
        return false;
    }

    // --- addresses and connections ------------------------------------------------------------------

    /// <summary>ip:port[@busport]: the last '@' starts the bus port, the last ':' the port.</summary>
    private static bool ParseNodeAddress(string address, out string ip, out int port, out int busPort)
    {
        ip = "";
        port = busPort = 0;
        int at = address.LastIndexOf('@');
        if (at >= 0)
        {
            busPort = (int)CParse.Atoi(address[(at + 1)..]);
            address = address[..at];
        }
        int colon = address.LastIndexOf(':');
        if (colon < 0) return false;
        ip = address[..colon];
        port = (int)CParse.Atoi(address[(colon + 1)..]);
        return true;
    }

    /// <summary>"host:port" as one argument or "host" "port" as two; false when no usable port.</summary>
    private static bool HostFromArguments(ReadOnlySpan<string> args, out string ip, out int port)
    {
        ip = "";
        port = 0;
        if (args.Length == 1)
        {
            if (!ParseNodeAddress(args[0], out ip, out port, out _)) return false;
        }
        else
        {
            ip = args[0];
            port = (int)CParse.Atoi(args[1]);
        }
        return port != 0;
    }

    /// <summary>Connects a node and authenticates with -a/--user; errors printed as redis-cli prints them.</summary>
    private bool ConnectNode(ClusterNode node)
    {
        node.Connection?.Dispose();
        node.Connection = session.OpenNodeConnection(node.Ip, node.Port, tlsErrorPrefix: "TLS Error: ");
        if (node.Connection is null) return false;
        var password = session.Options.Password;
        if (password is null) return true;
        var reply = Command(node, session.Options.User is { } user ? ["AUTH", user, password] : ["AUTH", password]);
        return CheckReply(node, reply, out _, printError: true);
    }

    /// <summary>Sends one command to a node; null when the link is (or becomes) unusable, as a NULL
    /// hiredis reply.</summary>
    private static RespValue? Command(ClusterNode node, params string[] args)
    {
        if (node.Connection is null) return null;
        try { return node.Connection.Execute(args); }
        catch (RedisConnectionException)
        {
            node.Connection.Dispose();
            node.Connection = null;
            return null;
        }
    }

    private static RespValue? Command(ClusterNode node, IReadOnlyList<byte[]> args)
    {
        if (node.Connection is null) return null;
        try { return node.Connection.Execute(args); }
        catch (RedisConnectionException)
        {
            node.Connection.Dispose();
            node.Connection = null;
            return null;
        }
    }

    /// <summary>clusterManagerCheckRedisReply: false for no reply or an error reply; the error text is
    /// handed back, or printed when printError.</summary>
    private bool CheckReply(ClusterNode node, RespValue? reply, out string? error, bool printError = false)
    {
        error = null;
        if (reply is null) return false;
        if (!reply.IsError) return true;
        error = reply.AsText();
        if (printError) PrintReplyError(node, error);
        return false;
    }

    private bool CheckReply(ClusterNode node, RespValue? reply) => CheckReply(node, reply, out _, printError: true);

    /// <summary>redis-cli's getInfoField: the first occurrence of the field name anywhere in the text.</summary>
    private static long? InfoLong(string info, string field)
    {
        int at = info.IndexOf(field, StringComparison.Ordinal);
        if (at < 0) return null;
        int start = at + field.Length + 1;
        if (start > info.Length) return null;
        int end = info.IndexOfAny(['\r', ','], start);
        return CParse.Atoi(end < 0 ? info[start..] : info[start..end]);
    }

    private RespValue? NodeInfo(ClusterNode node, out string? error)
    {
        error = null;
        var info = Command(node, "INFO");
        if (info is null) return null;
        if (info.IsError)
        {
            error = info.AsText();
            return null;
        }
        return info;
    }

    private bool NodeIsCluster(ClusterNode node, out string? error)
    {
        var info = NodeInfo(node, out error);
        if (info is null) return false;
        // A missing field reads as LONG_MIN in redis-cli, which is not zero.
        return (InfoLong(info.AsText(), "cluster_enabled") ?? long.MinValue) != 0;
    }

    /// <summary>A node is empty when database 0 has no keys and it knows no other node.</summary>
    private bool NodeIsEmpty(ClusterNode node, out string? error)
    {
        var info = NodeInfo(node, out error);
        if (info is null) return false;
        if (info.AsText().Contains("db0:", StringComparison.Ordinal)) return false;
        var clusterInfo = Command(node, "CLUSTER", "INFO");
        if (!CheckReply(node, clusterInfo, out error)) return false;
        return InfoLong(clusterInfo!.AsText(), "cluster_known_nodes") == 1;
    }

    private void PrintNotClusterNodeError(ClusterNode node, string? error) =>
        LogError($"[ERR] Node {node.Ip}:{node.Port} {error ?? "is not configured as a cluster node."}\n");

    private void PrintNotEmptyNodeError(ClusterNode node, string? error) =>
        LogError($"[ERR] Node {node.Ip}:{node.Port} {error ?? "is not empty. Either the node already knows other nodes (check with CLUSTER NODES) or contains some key in database 0."}\n");

    // --- loading the node table ---------------------------------------------------------------------

    /// <summary>Reads CLUSTER NODES from a node: its own line fills it (ID, flags, slots, open slots, bus
    /// port); with getFriends every other line becomes a friend node to visit.</summary>
    private bool LoadNodeInfo(ClusterNode node, bool getFriends, out string? error)
    {
        var reply = Command(node, "CLUSTER", "NODES");
        if (!CheckReply(node, reply, out error)) return false;
        string text = reply!.AsText();
        int position = 0;
        while (true)
        {
            int newline = text.IndexOf('\n', position);
            if (newline < 0) break;
            string line = text[position..newline];
            position = newline + 1;
            var fields = new List<string>();
            int p = 0;
            string rest = line;
            while (fields.Count < 8)
            {
                int space = rest.IndexOf(' ', p);
                if (space < 0) break;
                fields.Add(rest[p..space]);
                p = space + 1;
            }
            string slotsText = fields.Count == 8 ? rest[p..] : "";
            string? Field(int i) => i < fields.Count ? fields[i] : null;
            string? name = Field(0), address = Field(1), flags = Field(2), masterId = Field(3);
            string? pingSent = Field(4), pingReceived = Field(5), configEpoch = Field(6);
            if (flags is null) return false;
            bool myself = flags.Contains("myself", StringComparison.Ordinal);
            ClusterNode current;
            if (myself)
            {
                if (address is not null && address.LastIndexOf('@') is var at and >= 0) node.BusPort = (int)CParse.Atoi(address[(at + 1)..]);
                node.Flags |= ClusterNodeFlags.Myself;
                current = node;
                node.ResetSlots();
                if (fields.Count == 8) ParseSlots(node, slotsText);
                node.Dirty = false;
            }
            else if (!getFriends)
            {
                if ((node.Flags & ClusterNodeFlags.Myself) == 0) continue;
                break;
            }
            else
            {
                if (address is null || !ParseNodeAddress(address, out string ip, out int port, out int busPort))
                {
                    Stdio.Error("Error: invalid CLUSTER NODES reply\n");
                    return false;
                }
                current = new ClusterNode(ip, port, busPort) { Flags = ClusterNodeFlags.Friend };
                (node.Friends ??= []).Add(current);
            }
            if (name is not null) current.Name = name;
            current.FlagNames = [];
            foreach (var flag in flags.Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                if (flag == "noaddr") current.Flags |= ClusterNodeFlags.NoAddress;
                else if (flag == "disconnected") current.Flags |= ClusterNodeFlags.Disconnected;
                else if (flag == "fail") current.Flags |= ClusterNodeFlags.Fail;
                else if (flag == "slave")
                {
                    current.Flags |= ClusterNodeFlags.Slave;
                    if (masterId is not null) current.Replicate = masterId;
                }
                current.FlagNames.Add(flag);
            }
            if (configEpoch is not null) current.CurrentEpoch = (ulong)CParse.Atoi(configEpoch);
            _ = pingSent;
            _ = pingReceived;
            if (!getFriends && myself) break;
        }
        return true;
    }

    // "0-5460 5461 [5462->-<id>] [5463-<-<id>]": ranges, single slots, migrating and importing slots.
    private static void ParseSlots(ClusterNode node, string text)
    {
        foreach (var definition in text.Split(' '))
        {
            if (definition.Length == 0) continue;
            if (definition[0] == '[')
            {
                string inner = definition[1..];
                int migrating = inner.IndexOf("->-", StringComparison.Ordinal);
                int importing = inner.IndexOf("-<-", StringComparison.Ordinal);
                if (migrating >= 0)
                    node.Migrating.Add((inner[..migrating], inner[(migrating + 3)..].TrimEnd(']')));
                else if (importing >= 0)
                    node.Importing.Add((inner[..importing], inner[(importing + 3)..].TrimEnd(']')));
                continue;
            }
            int dash = definition.IndexOf('-');
            if (dash >= 0)
            {
                int start = (int)CParse.Atoi(definition[..dash]), stop = (int)CParse.Atoi(definition[(dash + 1)..]);
                node.SlotsCount += stop - (start - 1);
                for (int slot = start; slot <= stop; slot++) node.Slots[slot] = true;
            }
            else
            {
                node.Slots[CParse.Atoi(definition)] = true;
                node.SlotsCount++;
            }
        }
    }

    /// <summary>Builds the node table from one node: it first, then every friend that can be reached and
    /// reports itself healthy; unreachable masters are counted (fixing with them is refused).</summary>
    private bool LoadInfoFromNode(ClusterNode node)
    {
        if (node.Connection is null && !ConnectNode(node)) return false;
        if (!NodeIsCluster(node, out string? error))
        {
            PrintNotClusterNodeError(node, error);
            return false;
        }
        if (!LoadNodeInfo(node, getFriends: true, out error))
        {
            if (error is not null) PrintReplyError(node, error);
            return false;
        }
        foreach (var n in nodes) if (n != node) n.Connection?.Dispose();
        nodes = [node];
        foreach (var friend in node.Friends ?? [])
        {
            bool valid = friend.Port != 0 && (friend.Connection is not null || ConnectNode(friend));
            if (valid)
            {
                if (LoadNodeInfo(friend, getFriends: false, out _))
                {
                    if ((friend.Flags & (ClusterNodeFlags.NoAddress | ClusterNodeFlags.Disconnected | ClusterNodeFlags.Fail)) == 0)
                    {
                        nodes.Add(friend);
                        continue;
                    }
                }
                else LogError($"[ERR] Unable to load info for node {friend.Ip}:{friend.Port}\n");
            }
            if (!friend.IsReplica) unreachableMasters++;
            friend.Connection?.Dispose();
            friend.Connection = null;
        }
        node.Friends = null;
        foreach (var n in nodes)
        {
            if (n.Replicate is null) continue;
            var master = NodeByName(n.Replicate);
            if (master is null) LogWarn($"*** WARNING: {n.Ip}:{n.Port} claims to be slave of unknown node ID {n.Replicate}.\n");
            else master.ReplicasCount++;
        }
        return true;
    }

    private ClusterNode? NodeByName(string name)
    {
        string lower = name.ToLowerInvariant();
        return nodes.FirstOrDefault(n => n.Name == lower);
    }

    /// <summary>The first node whose ID starts with the given prefix (rebalance weights).</summary>
    private ClusterNode? NodeByAbbreviatedName(string name)
    {
        string lower = name.ToLowerInvariant();
        return nodes.FirstOrDefault(n => n.Name is not null && n.Name.StartsWith(lower, StringComparison.Ordinal));
    }

    // --- listing --------------------------------------------------------------------------------------

    private static string FlagString(ClusterNode node) =>
        node.FlagNames is null ? "" : string.Join(",", node.FlagNames.Where(f => f != "myself"));

    /// <summary>"[0-5460],[10923]": the node's slots as ranges.</summary>
    private static string SlotsString(ClusterNode node)
    {
        var text = new StringBuilder();
        int first = -1, last = -1;
        for (int i = 0; i <= HashSlot.SlotCount; i++)
        {
            bool has = i < HashSlot.SlotCount && node.Slots[i];
            if (has)
            {
                if (first == -1)
                {
                    if (text.Length > 0) text.Append(',');
                    first = i;
                    text.Append('[').Append(i);
                }
                last = i;
                continue;
            }
            if (last >= 0) text.Append(first == last ? "]" : $"-{last}]");
            first = last = -1;
        }
        return text.ToString();
    }

    private static string NodeDescription(ClusterNode node, int indent)
    {
        string spaces = new(' ', indent);
        var info = new StringBuilder(spaces);
        if (node.Dirty && node.Replicate is not null) info.Append($"S: {node.Name} {node.Ip}:{node.Port}");
        else
        {
            string role = node.IsReplica ? "S" : "M";
            info.Append($"{role}: {node.Name} {node.Ip}:{node.Port}\n{spaces}   slots:{SlotsString(node)} ({node.SlotsCount} slots) {FlagString(node)}");
        }
        if (node.Replicate is not null) info.Append($"\n{spaces}   replicates {node.Replicate}");
        else if (node.ReplicasCount > 0) info.Append($"\n{spaces}   {node.ReplicasCount} additional replica(s)");
        return info.ToString();
    }

    private void ShowNodes()
    {
        foreach (var node in nodes) Print(NodeDescription(node, 0) + "\n");
    }

    /// <summary>One line per master (keys, slots, replicas), then the totals.</summary>
    private void ShowClusterInfo()
    {
        int masters = 0, keys = 0;
        foreach (var node in nodes)
        {
            if (node.IsReplica || node.Name is null) continue;
            int replicas = nodes.Count(n => n != node && n.IsReplica && n.Replicate == node.Name);
            var reply = Command(node, "DBSIZE");
            if (reply is null)
            {
                PrintReplyError(node, "");
                return;
            }
            // redis-cli takes the integer of whatever came back: an error reply counts as 0 keys.
            int dbsize = reply.Type == RespType.Integer ? (int)reply.Integer : 0;
            Print($"{node.Ip}:{node.Port} ({node.Name[..Math.Min(8, node.Name.Length)]}...) -> {dbsize} keys | {node.SlotsCount} slots | {replicas} slaves.\n");
            masters++;
            keys += dbsize;
        }
        LogOk($"[OK] {keys} keys in {masters} masters.\n");
        float keysPerSlot = keys / (float)HashSlot.SlotCount;
        Print($"{keysPerSlot.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)} keys per slot on average.\n");
    }

    // --- consistency ----------------------------------------------------------------------------------

    /// <summary>"id:0-5460,5461|id2:..." from a node's CLUSTER NODES: the slot ranges of every node, both
    /// sorted, so two nodes agree exactly when their signatures are equal.</summary>
    private static string? ConfigSignature(ClusterNode node)
    {
        var reply = Command(node, "CLUSTER", "NODES");
        if (reply is null || reply.IsError) return null;
        var configs = new List<string>();
        foreach (var line in reply.AsText().Split('\n'))
        {
            var parts = line.Split(' ');
            if (parts.Length <= 8) continue;
            var slots = parts.Skip(8).Where(s => s.Length > 0 && s[0] != '[').ToList();
            if (slots.Count == 0) continue;
            slots.Sort(string.CompareOrdinal);
            configs.Add(parts[0] + ":" + string.Join(",", slots));
        }
        if (configs.Count == 0) return null;
        configs.Sort(string.CompareOrdinal);
        return string.Join("|", configs);
    }

    private bool IsConfigConsistent()
    {
        if (nodes.Count <= 1) return true;
        string? first = null;
        foreach (var node in nodes)
        {
            var signature = ConfigSignature(node);
            if (signature is null) return false;
            if (first is null) first = signature;
            else if (signature != first) return false;
        }
        return true;
    }

    private const int JoinCheckAfter = 20;

    /// <summary>Prints a dot a second until every node agrees; every ~20 s it reports links that stay
    /// disconnected or in handshake (usually an unreachable cluster bus port).</summary>
    private void WaitForClusterJoin()
    {
        Print("Waiting for the cluster to join\n");
        int counter = 0, checkAfter = JoinCheckAfter + (int)(nodes.Count * 0.15f);
        while (!IsConfigConsistent())
        {
            Print(".");
            Thread.Sleep(1000);
            if (++counter <= checkAfter) continue;
            var status = DisconnectedLinks();
            if (status.Count > 0)
            {
                Print("\n");
                LogError($"Warning: {status.Count} node(s) may be unreachable\n");
                foreach (var (address, from) in status)
                {
                    if (ParseNodeAddress(address, out string ip, out _, out int busPort) && busPort != 0)
                        LogError($" - The port {busPort} of node {ip} may be unreachable from:\n");
                    else LogError($" - Node {address} may be unreachable from:\n");
                    foreach (var source in from) LogError($"   {source}\n");
                    LogError("Cluster bus ports must be reachable by every node.\nRemember that cluster bus ports are different from standard instance ports.\n");
                }
            }
            counter = 0;
        }
        Print("\n");
    }

    /// <summary>For each node address some node cannot reach (link disconnected or still in handshake),
    /// the addresses of the nodes that report it.</summary>
    private List<(string Address, List<string> From)> DisconnectedLinks()
    {
        var result = new List<(string Address, List<string> From)>();
        foreach (var node in nodes)
        {
            var reply = Command(node, "CLUSTER", "NODES");
            if (!CheckReply(node, reply)) continue;
            foreach (var line in reply!.AsText().Split('\n'))
            {
                var parts = line.Split(' ');
                if (parts.Length < 8) continue;
                string address = parts[1], flags = parts[2], linkStatus = parts[7];
                if (flags.Contains("myself", StringComparison.Ordinal)) continue;
                bool disconnected = flags.Contains("disconnected", StringComparison.Ordinal) || linkStatus.Contains("disconnected", StringComparison.Ordinal);
                if (!disconnected && !flags.Contains("handshake", StringComparison.Ordinal)) continue;
                int index = result.FindIndex(r => r.Address == address);
                if (index < 0)
                {
                    result.Add((address, []));
                    index = result.Count - 1;
                }
                result[index].From.Add($"{node.Ip}:{node.Port}");
            }
        }
        return result;
    }

    // --- the check --------------------------------------------------------------------------------------

    private int CountKeysInSlot(ClusterNode node, int slot)
    {
        var reply = Command(node, "CLUSTER", "COUNTKEYSINSLOT", slot.ToString());
        return CheckReply(node, reply) && reply!.Type == RespType.Integer ? (int)reply.Integer : -1;
    }

    /// <summary>clusterManagerCheckCluster: agreement, open slots, coverage and (on request) slots with
    /// several owners; with fix, each problem is repaired as it is found. True when nothing was wrong
    /// (or everything was fixed).</summary>
    private bool CheckCluster(bool quiet)
    {
        if (nodes.Count == 0) return false;
        var first = nodes[0];
        LogInfo($">>> Performing Cluster Check (using node {first.Ip}:{first.Port})\n");
        bool result = true;
        if (!quiet) ShowNodes();
        if (!IsConfigConsistent())
        {
            OnError("[ERR] Nodes don't agree about configuration!");
            result = false;
        }
        else LogOk("[OK] All nodes agree about slots configuration.\n");

        LogInfo(">>> Check for open slots...\n");
        RedisDictOrder? openSlots = null;
        foreach (var n in nodes)
        {
            foreach (var (list, state) in new[] { (n.Migrating, "migrating"), (n.Importing, "importing") })
            {
                if (list.Count == 0) continue;
                openSlots ??= new RedisDictOrder();
                var text = new StringBuilder($"[WARNING] Node {n.Ip}:{n.Port} has slots in {state} state ");
                for (int i = 0; i < list.Count; i++)
                {
                    openSlots.Add(list[i].Slot);
                    if (i > 0) text.Append(',');
                    text.Append(list[i].Slot);
                }
                OnError(text.Append('.').ToString());
            }
        }
        if (openSlots is not null)
        {
            result = false;
            var open = openSlots.IterationOrder().ToList();
            LogError($"[WARNING] The following slots are open: {string.Join(",", open)}.\n");
            if (options.Fix)
            {
                foreach (var slot in open)
                {
                    result = FixOpenSlot((int)CParse.Atoi(slot));
                    if (!result) break;
                }
            }
        }

        LogInfo(">>> Check slots coverage...\n");
        var covered = new bool[HashSlot.SlotCount];
        int coverage = CoveredSlots(covered);
        if (coverage == HashSlot.SlotCount) LogOk($"[OK] All {HashSlot.SlotCount} slots covered.\n");
        else
        {
            OnError($"[ERR] Not all {HashSlot.SlotCount} slots are covered by nodes.\n");
            result = false;
            if (options.Fix && FixSlotsCoverage(covered) > 0) result = true;
        }

        if (options.SearchMultipleOwners)
        {
            LogInfo(">>> Check for multiple slot owners...\n");
            int slotsWithMultipleOwners = 0;
            for (int slot = 0; slot < HashSlot.SlotCount; slot++)
            {
                var owners = new List<ClusterNode>();
                foreach (var n in nodes)
                {
                    if (n.IsReplica) continue;
                    if (n.Slots[slot] || CountKeysInSlot(n, slot) > 0) owners.Add(n);
                }
                if (owners.Count <= 1) continue;
                result = false;
                LogError($"[WARNING] Slot {slot} has {owners.Count} owners:\n");
                foreach (var n in owners) LogError($"    {n.Ip}:{n.Port}\n");
                slotsWithMultipleOwners++;
                if (!options.Fix) continue;
                result = FixMultipleSlotOwners(slot, owners);
                if (!result)
                {
                    LogError($"Failed to fix multiple owners for slot {slot}\n");
                    break;
                }
                slotsWithMultipleOwners--;
            }
            if (slotsWithMultipleOwners == 0) LogOk("[OK] No multiple owners found.\n");
        }
        return result;
    }

    private int CoveredSlots(bool[] covered)
    {
        int total = 0;
        foreach (var node in nodes)
            for (int i = 0; i < HashSlot.SlotCount; i++)
                if (node.Slots[i] && !covered[i])
                {
                    covered[i] = true;
                    total++;
                }
        return total;
    }

    /// <summary>confirmWithYes: --cluster-yes answers for the user unless the question must be asked.</summary>
    private bool ConfirmWithYes(string question, bool ignoreForce = false)
    {
        if (!ignoreForce && options.Yes) return true;
        Print($"{question} (type 'yes' to accept): ");
        // One read of up to 4 bytes, of which the first three must be "yes" ("yes\n" or "yesss").
        var answer = ReadStdin(4);
        return answer.Length >= 3 && answer.AsSpan(0, 3).SequenceEqual("yes"u8);
    }

    private static readonly Stream Stdin = Stdio.OpenStandardInput();

    /// <summary>One read(2) of at most count bytes, as redis-cli's prompts read their answer.</summary>
    private static byte[] ReadStdin(int count)
    {
        var buffer = new byte[count];
        int n = Stdin.Read(buffer, 0, count);
        return n <= 0 ? [] : buffer[..n];
    }
}
