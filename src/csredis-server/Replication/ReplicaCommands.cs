// REPLICAOF / SLAVEOF (Redis's replicaofCommand) and ROLE. REPLICAOF host port points this server
// at a master (keeping what it can for a partial resync), NO ONE promotes it; both log the
// requesting client as Redis does. ROLE gives the role with its offsets in Redis's shapes.
using Csredis.Common.Logging;
using Csredis.Server.Commands;
using Csredis.Server.Networking;

namespace Csredis.Server.Replication;

public static class ReplicaCommands
{
    public static void Register(CommandTable t)
    {
        var flags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Stale | CommandFlags.NoAsyncLoading;
        string[] categories = ["admin", "slow", "dangerous"];
        t.Add(new Command { Name = "replicaof", Arity = 3, Flags = flags, Handler = ReplicaOf, Group = "server", Since = "5.0.0", Categories = categories });
        t.Add(new Command { Name = "slaveof", Arity = 3, Flags = flags, Handler = ReplicaOf, Group = "server", Since = "1.0.0", Categories = categories });
        t.Add(new Command { Name = "role", Arity = 1, Flags = CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast, Handler = Role, Group = "server", Since = "2.8.12", Categories = ["admin", "fast", "dangerous"] });
    }

    static void ReplicaOf(Client c)
    {
        var s = c.Server;
        if (s.Failover.State != FailoverState.None)
        {
            c.Error("ERR REPLICAOF not allowed while failing over."u8);
            return;
        }
        if (c.ArgIs(1, "no"u8) && c.ArgIs(2, "one"u8))
        {
            if (s.MasterHost != null)
            {
                s.ReplicaLink.UnsetMaster();
                Log.Notice($"MASTER MODE enabled (user request from '{c.InfoLine()}')");
            }
            c.Reply.Ok();
            return;
        }
        if ((c.Flags & ClientFlags.Replica) != 0)
        {
            c.Error("ERR Command is not valid when client is a replica."u8);
            return;
        }
        if (!Common.Text.NumberParsing.TryParseInt64(c.Arg(2), out long port) || port < 0 || port > 65535)
        {
            c.Error("ERR Invalid master port"u8);
            return;
        }
        string host = c.ArgString(1);
        if (s.MasterHost != null && s.MasterHost.Equals(host, StringComparison.OrdinalIgnoreCase) && s.MasterPort == port)
        {
            Log.Notice("REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.");
            c.Reply.SimpleString("OK Already connected to specified master"u8);
            return;
        }
        s.ReplicaLink.SetMaster(host, (int)port);
        Log.Notice($"REPLICAOF {s.MasterHost}:{s.MasterPort} enabled (user request from '{c.InfoLine()}')");
        c.Reply.Ok();
    }

    static void Role(Client c)
    {
        var s = c.Server;
        var r = c.Reply;
        if (s.MasterHost == null)
        {
            r.ArrayHeader(3);
            r.Bulk("master"u8);
            r.Integer(s.MasterReplOffset);
            var online = s.Replication.Replicas.Where(x => x.State == ReplicaState.Online).ToList();
            r.ArrayHeader(online.Count);
            foreach (var replica in online)
            {
                r.ArrayHeader(3);
                r.Bulk(replica.Ip);
                r.BulkInteger(replica.ListeningPort);
                r.BulkInteger(replica.AckOffset);
            }
            return;
        }
        var link = s.ReplicaLink;
        r.ArrayHeader(5);
        r.Bulk("slave"u8);
        r.Bulk(s.MasterHost);
        r.Integer(s.MasterPort);
        r.Bulk(link.InHandshake ? "handshake" : link.State switch
        {
            ReplicaLinkState.None => "none",
            ReplicaLinkState.Connect => "connect",
            ReplicaLinkState.Connecting => "connecting",
            ReplicaLinkState.Transfer => "sync",
            ReplicaLinkState.Connected => "connected",
            _ => "unknown",
        });
        r.Integer(link.Master != null ? link.MasterProcessedOffset : -1);
    }
}
