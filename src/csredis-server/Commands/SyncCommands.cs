// The master side of the replication protocol (Redis's replication.c commands): SYNC and PSYNC
// (partial resync from the backlog, else a full resync through Replication/FullSync.cs), REPLCONF
// (what a replica tells its master: listening-port, ip-address, capa, ack; getack is for the
// replica side) and WAIT (block until enough replicas acknowledged the client's last write).
using Csredis.Common.Logging;
using Csredis.Common.Text;
using Csredis.Server.Networking;
using Csredis.Server.Replication;

namespace Csredis.Server.Commands;

public static class SyncCommands
{
    public static void Register(CommandTable t)
    {
        var admin = new[] { "admin", "slow", "dangerous" };
        t.Add(new Command { Name = "sync", Arity = 1, Flags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.NoAsyncLoading | CommandFlags.NoMulti, Handler = Sync, Group = "server", Categories = admin });
        t.Add(new Command { Name = "psync", Arity = -3, Flags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.NoAsyncLoading | CommandFlags.NoMulti, Handler = Sync, Group = "server", Since = "2.8.0", Categories = admin });
        t.Add(new Command { Name = "replconf", Arity = -1, Flags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.AllowBusy, Handler = ReplConf, Group = "server", Since = "3.0.0", Categories = admin });
        t.Add(new Command { Name = "wait", Arity = 3, Flags = CommandFlags.NoScript, Handler = Wait, Group = "generic", Since = "3.0.0", Categories = ["slow", "connection"] });
    }

    /// <summary>SYNC and PSYNC replid offset (Redis's syncCommand).</summary>
    static void Sync(Client c)
    {
        var server = c.Server;
        var repl = server.Replication;
        // A replica asking again over the same link is ignored, as Redis does.
        if ((c.Flags & ClientFlags.Replica) != 0) return;
        if (c.Argc > 3 && c.ArgIs(0, "psync"u8) && c.ArgIs(3, "failover"u8) && !Replication.CoordinatedFailover.AcceptPsyncFailover(c)) return;
        if (server.Failover.State != Replication.FailoverState.None)
        {
            c.Error("NOMASTERLINK Can't SYNC while failing over"u8);
            return;
        }
        if (server.IsReplica && !(repl.MasterLinkUp?.Invoke() ?? false))
        {
            c.Error("NOMASTERLINK Can't SYNC while not connected with my master"u8);
            return;
        }
        if (c.Reply.HasPending)
        {
            c.Error("ERR SYNC and PSYNC are invalid with pending output"u8);
            return;
        }
        var session = c.ReplicaSession ??= new ReplicaSession(c);
        Log.Notice($"Replica {session.Name} asks for synchronization");
        bool psync = c.ArgIs(0, "psync"u8);
        if (psync)
        {
            string replid = c.ArgString(1);
            if (!NumberParsing.TryParseInt64(c.Arg(2), out long offset))
            {
                c.Error(Errors.NotInteger);
                return;
            }
            if (repl.TryPartialResync(session, replid, offset)) return;
        }
        else session.PrePsync = true;
        repl.BeginFullResync(session);
    }

    /// <summary>REPLCONF option value ... (Redis's replconfCommand).</summary>
    static void ReplConf(Client c)
    {
        if (c.Argc % 2 == 0)
        {
            c.Error(Errors.Syntax);
            return;
        }
        var session = c.ReplicaSession ??= new ReplicaSession(c);
        for (int j = 1; j < c.Argc; j += 2)
        {
            if (c.ArgIs(j, "listening-port"u8))
            {
                if (!NumberParsing.TryParseInt64(c.Arg(j + 1), out long port)) { c.Error(Errors.NotInteger); return; }
                session.ListeningPort = (int)port;
            }
            else if (c.ArgIs(j, "ip-address"u8))
            {
                // NET_HOST_STR_LEN is 256.
                if (c.Arg(j + 1).Length >= 256)
                {
                    c.Error($"ERR REPLCONF ip-address provided by replica instance is too long: {c.Arg(j + 1).Length} bytes");
                    return;
                }
                session.AnnouncedIp = c.ArgString(j + 1);
            }
            else if (c.ArgIs(j, "capa"u8))
            {
                if (c.ArgIs(j + 1, "eof"u8)) session.CapaEof = true;
                else if (c.ArgIs(j + 1, "psync2"u8)) session.CapaPsync2 = true;
                // Unknown capabilities are ignored, so newer replicas can talk to older masters.
            }
            else if (c.ArgIs(j, "ack"u8))
            {
                // Only replicas acknowledge, and they never get a reply.
                if ((c.Flags & ClientFlags.Replica) == 0) return;
                if (!NumberParsing.TryParseInt64(c.Arg(j + 1), out long offset)) return;
                c.Server.Replication.Acknowledged(session, offset);
                return;
            }
            else if (c.ArgIs(j, "getack"u8))
            {
                // Sent by our master over the replication link: the replica side answers with an ACK.
                c.Server.Replication.GetAckRequested?.Invoke(c);
                return;
            }
            else if (c.ArgIs(j, "rdb-only"u8))
            {
                if (!NumberParsing.TryParseInt64(c.Arg(j + 1), out long rdbOnly) || rdbOnly is not (0 or 1))
                {
                    c.Error("ERR value is out of range, value must between 0 and 1"u8); // sic: Redis 7.0.15's wording
                    return;
                }
                session.RdbOnly = rdbOnly == 1;
            }
            else if (c.ArgIs(j, "rdb-filter-only"u8))
            {
                // Redis 7.0's include filters: the data is always left out, and "functions" (the only
                // filter) would keep the functions, which csredis does not have.
                var filters = ArgSplitter.Split(c.Arg(j + 1));
                if (filters == null)
                {
                    c.Error("ERR Missing rdb-filter-only values"u8);
                    return;
                }
                foreach (var filter in filters)
                {
                    if (!Ascii.EqualsIgnoreCase(filter, "functions"u8))
                    {
                        c.Error("ERR Unsupported rdb-filter-only option: " + System.Text.Encoding.UTF8.GetString(filter));
                        return;
                    }
                }
                session.ExcludeData = true;
            }
            else
            {
                c.Error("ERR Unrecognized REPLCONF option: " + c.ArgString(j));
                return;
            }
        }
        c.Reply.Ok();
    }

    /// <summary>WAIT numreplicas timeout (Redis's waitCommand).</summary>
    static void Wait(Client c)
    {
        var server = c.Server;
        if (server.IsReplica)
        {
            c.Error("ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated."u8);
            return;
        }
        if (!NumberParsing.TryParseInt64(c.Arg(1), out long numReplicas)) { c.Error(Errors.NotInteger); return; }
        if (!NumberParsing.TryParseInt64(c.Arg(2), out long timeout)) { c.Error("ERR timeout is not an integer or out of range"u8); return; }
        if (timeout < 0) { c.Error("ERR timeout is negative"u8); return; }
        server.Replication.Wait(c, numReplicas, timeout);
    }
}
