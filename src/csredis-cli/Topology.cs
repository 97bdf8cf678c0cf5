// --topology: draws the replication tree around one address. Given a data node it climbs master links
// to the top master, then walks down every replica (chained replicas too) with offset, lag and link
// state from INFO replication. Given a sentinel it lists each monitored master with that sentinel's
// view (flags, quorum, epoch, the other sentinels) and then draws that master's tree.
using System.Text;
using Csredis.Common.Client;

namespace Csredis.Cli;

public static class Topology
{
    private const int MaxDepth = 8;
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(2);

    public static int Run(CliSession session)
    {
        current = session;
        if (!session.Connect()) return 1;
        var options = session.Options;
        var output = new StringBuilder();
        var server = Info(session.Connection!, "server");
        if (server.TryGetValue("redis_mode", out var mode) && mode == "sentinel")
            DescribeSentinel(session, output);
        else
        {
            var (host, port) = ClimbToMaster(options.UnixSocket is null ? options.Host : null, options.Port, session.Connection!);
            DrawTree(host, port, output, "", isLast: true, isRoot: true, depth: 0, visited: []);
        }
        session.WriteStdout(Encoding.UTF8.GetBytes(output.ToString()));
        return 0;
    }

    private static Dictionary<string, string> Info(RedisBlockingConnection connection, string section)
    {
        var reply = connection.Execute("INFO", section);
        return reply.IsError ? [] : InfoFields.Parse(reply.AsText());
    }

    private static (string Host, int Port) ClimbToMaster(string? host, int port, RedisBlockingConnection first)
    {
        var connection = first;
        string currentHost = host ?? "127.0.0.1";
        int currentPort = port;
        for (int hop = 0; hop < MaxDepth; hop++)
        {
            var replication = Info(connection, "replication");
            if (connection != first) connection.Dispose();
            if (replication.GetValueOrDefault("role") != "slave") break;
            string nextHost = replication.GetValueOrDefault("master_host", currentHost);
            int nextPort = (int)InfoFields.Long(replication, "master_port");
            var next = TryConnect(nextHost, nextPort);
            if (next is null) break;
            (currentHost, currentPort, connection) = (nextHost, nextPort, next);
        }
        if (connection != first) connection.Dispose();
        return (currentHost, currentPort);
    }

    private static CliSession? current;

    /// <summary>Another node, reached with the session's credentials and TLS settings; null if unreachable.</summary>
    private static RedisBlockingConnection? TryConnect(string host, int port)
    {
        var connection = current!.OpenNodeConnection(host, port, quiet: true, timeout: ConnectTimeout);
        if (connection is null) return null;
        try
        {
            var options = current.Options;
            if (options.Password is { } password)
                connection.Execute(options.User is { } user ? ["AUTH", user, password] : ["AUTH", password]);
            return connection;
        }
        catch (RedisConnectionException)
        {
            connection.Dispose();
            return null;
        }
    }

    private static void DrawTree(string host, int port, StringBuilder output, string indent, bool isLast, bool isRoot, int depth,
        HashSet<string> visited, string? linkDetails = null)
    {
        string address = CliSession.FormatAddress(host, port);
        string branch = isRoot ? "" : indent + (isLast ? "└─ " : "├─ ");
        string childIndent = isRoot ? "" : indent + (isLast ? "   " : "│  ");
        using var connection = TryConnect(host, port);
        if (connection is null)
        {
            output.Append(branch).Append(isRoot ? "master " : "replica ").Append(address).Append(linkDetails).Append(" (unreachable)\n");
            return;
        }
        var replication = Info(connection, "replication");
        string role = replication.GetValueOrDefault("role") == "slave" ? "replica" : "master";
        output.Append(branch).Append(role).Append(' ').Append(address);
        output.Append(" offset=").Append(replication.GetValueOrDefault("master_repl_offset", "0"));
        if (role == "replica")
            output.Append(" link=").Append(replication.GetValueOrDefault("master_link_status", "?"));
        if (linkDetails is not null) output.Append(linkDetails);
        var replicas = new List<(string Host, int Port, string Details)>();
        for (int i = 0; replication.TryGetValue($"slave{i}", out var line); i++)
        {
            string replicaHost = InfoFields.SubText(line, "ip") ?? host;
            int replicaPort = (int)(InfoFields.SubField(line, "port") ?? 0);
            string details = $" state={InfoFields.SubText(line, "state")} acked={InfoFields.SubText(line, "offset")} lag={InfoFields.SubText(line, "lag")}s";
            replicas.Add((replicaHost, replicaPort, details));
        }
        output.Append(" replicas=").Append(replicas.Count).Append('\n');
        if (!visited.Add(address) || depth >= MaxDepth) return;
        for (int i = 0; i < replicas.Count; i++)
            DrawTree(replicas[i].Host, replicas[i].Port, output, childIndent, i == replicas.Count - 1, isRoot: false, depth + 1,
                visited, replicas[i].Details);
    }

    private static void DescribeSentinel(CliSession session, StringBuilder output)
    {
        var connection = session.Connection!;
        var self = session.Address;
        var masters = connection.Execute("SENTINEL", "MASTERS");
        if (masters.IsError)
        {
            output.Append("sentinel ").Append(self).Append(": ").Append(masters.AsText()).Append('\n');
            return;
        }
        output.Append("sentinel ").Append(self).Append(" monitors ").Append(masters.Elements.Length).Append(" master(s)\n");
        foreach (var master in masters.Elements)
        {
            var fields = Fields(master);
            string name = fields.GetValueOrDefault("name", "?");
            string host = fields.GetValueOrDefault("ip", "?");
            int port = (int)CParse.Atoi(fields.GetValueOrDefault("port", "0"));
            output.Append('\n').Append('"').Append(name).Append("\" ").Append(CliSession.FormatAddress(host, port))
                .Append(" flags=").Append(fields.GetValueOrDefault("flags", "?"))
                .Append(" quorum=").Append(fields.GetValueOrDefault("quorum", "?"))
                .Append(" epoch=").Append(fields.GetValueOrDefault("config-epoch", "?"))
                .Append(" replicas=").Append(fields.GetValueOrDefault("num-slaves", "?"))
                .Append(" other-sentinels=").Append(fields.GetValueOrDefault("num-other-sentinels", "?")).Append('\n');
            var sentinels = connection.Execute("SENTINEL", "SENTINELS", name);
            output.Append("sentinels:\n");
            var others = sentinels.IsError ? [] : sentinels.Elements;
            output.Append(others.Length == 0 ? "└─ " : "├─ ").Append("sentinel ").Append(self).Append(" (this one)\n");
            for (int i = 0; i < others.Length; i++)
            {
                var s = Fields(others[i]);
                output.Append(i == others.Length - 1 ? "└─ " : "├─ ").Append("sentinel ")
                    .Append(CliSession.FormatAddress(s.GetValueOrDefault("ip", "?"), (int)CParse.Atoi(s.GetValueOrDefault("port", "0"))))
                    .Append(" flags=").Append(s.GetValueOrDefault("flags", "?"))
                    .Append(" leader-epoch=").Append(s.GetValueOrDefault("leader-epoch", "?"))
                    .Append(" voted-leader=").Append(s.GetValueOrDefault("voted-leader", "?")).Append('\n');
            }
            output.Append("replication:\n");
            DrawTree(host, port, output, "", isLast: true, isRoot: true, depth: 0, visited: []);
        }
    }

    private static Dictionary<string, string> Fields(RespValue flatPairs)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i + 1 < flatPairs.Elements.Length; i += 2)
            fields[flatPairs.Elements[i].AsText()] = flatPairs.Elements[i + 1].AsText();
        return fields;
    }
}
