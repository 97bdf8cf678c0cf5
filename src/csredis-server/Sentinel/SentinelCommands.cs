// Commands of a sentinel (Redis's sentinelCommand and friends): SENTINEL and its subcommands,
// INFO with the Sentinel section, ROLE. In sentinel mode the command table holds only these plus
// the connection and pub/sub commands (clients subscribe to events); everything else is unknown.
using System.Globalization;
using Csredis.Common;
using Csredis.Common.Text;
using Csredis.Server.Commands;
using Csredis.Server.Networking;

namespace Csredis.Server.Sentinel;

public static class SentinelCommands
{
    /// <summary>The sentinel's command table: the allowed server commands plus SENTINEL, sentinel INFO and ROLE.</summary>
    public static CommandTable CreateTable()
    {
        var server = CommandTable.CreateServerTable();
        var table = new CommandTable();
        foreach (var name in new[] { "ping", "subscribe", "unsubscribe", "psubscribe", "punsubscribe", "publish", "client", "shutdown", "auth", "hello", "command", "reset", "quit" })
        {
            var cmd = server.FindOriginal(name);
            if (cmd != null) table.Add(cmd);
        }
        var fast = CommandFlags.Admin | CommandFlags.Sentinel | CommandFlags.OnlySentinel;
        table.Add(new Command { Name = "info", Arity = -1, Flags = CommandFlags.Sentinel | CommandFlags.Loading | CommandFlags.Stale, Handler = Info, Group = "server", Categories = ["slow", "dangerous"] });
        table.Add(new Command { Name = "role", Arity = 1, Flags = CommandFlags.Sentinel | CommandFlags.Fast, Handler = Role, Group = "server", Categories = ["admin", "fast", "dangerous"] });
        Command Sub(string name, int arity, CommandHandler handler) =>
            new() { Name = "sentinel|" + name, Arity = arity, Flags = fast, Handler = handler, Group = "sentinel", Categories = ["admin", "slow", "dangerous"] };
        table.Add(new Command { Name = "sentinel", Arity = -2, Flags = fast, Handler = _ => { }, Group = "sentinel", Categories = ["admin", "slow", "dangerous"] }.WithSubcommands(
            Sub("masters", 2, Masters),
            Sub("master", 3, Master),
            Sub("replicas", 3, Replicas),
            Sub("slaves", 3, Replicas),
            Sub("sentinels", 3, Sentinels),
            Sub("get-master-addr-by-name", 3, GetMasterAddr),
            Sub("reset", 3, Reset),
            Sub("failover", 3, Failover),
            Sub("ckquorum", 3, CkQuorum),
            Sub("flushconfig", 2, FlushConfig),
            Sub("monitor", 6, Monitor),
            Sub("remove", 3, Remove),
            Sub("set", -5, Set),
            Sub("is-master-down-by-addr", 6, IsMasterDownByAddr),
            Sub("myid", 2, c => c.Reply.Bulk(State(c).MyId)),
            Sub("info-cache", -3, InfoCache),
            Sub("pending-scripts", 2, PendingScripts),
            Sub("simulate-failure", -3, SimulateFailure),
            Sub("config", -4, Config),
            Sub("debug", -2, Debug),
            Sub("help", 2, Help)));
        return table;
    }

    static SentinelState State(Client c) => c.Server.Sentinel!;

    static SentinelInstance? MasterOrError(Client c, int arg)
    {
        if (State(c).Masters.TryGetValue(c.ArgString(arg), out var m)) return m;
        c.Error("ERR No such master with that name"u8);
        return null;
    }

    /// <summary>One instance as SENTINEL MASTER/REPLICAS/SENTINELS show it (fields and order of Redis 7.0).</summary>
    static void ReplyInstance(Client c, SentinelInstance ri)
    {
        long now = Clock.UnixMs();
        var fields = new List<(string, string)>
        {
            ("name", ri.Name), ("ip", ri.Ip), ("port", ri.Port.ToString()), ("runid", ri.RunId ?? ""),
            ("flags", ri.FlagsText()), ("link-pending-commands", ri.Link.PendingCommands.ToString()), ("link-refcount", "1"),
        };
        if (ri.Is(InstanceFlags.FailoverInProgress)) fields.Add(("failover-state", FailoverStateName(ri.FailoverState)));
        fields.Add(("last-ping-sent", (ri.Link.ActivePingTime != 0 ? now - ri.Link.ActivePingTime : 0).ToString()));
        fields.Add(("last-ok-ping-reply", (now - ri.Link.LastAvailTime).ToString()));
        fields.Add(("last-ping-reply", (now - ri.Link.LastPongTime).ToString()));
        if (ri.Is(InstanceFlags.SDown)) fields.Add(("s-down-time", (now - ri.SDownSinceTime).ToString()));
        if (ri.Is(InstanceFlags.ODown)) fields.Add(("o-down-time", (now - ri.ODownSinceTime).ToString()));
        fields.Add(("down-after-milliseconds", (ri.Is(InstanceFlags.Master) ? ri.DownAfterMs : ri.Master!.DownAfterMs).ToString()));
        if (ri.Is(InstanceFlags.Master | InstanceFlags.Slave))
        {
            fields.Add(("info-refresh", (ri.InfoRefresh != 0 ? now - ri.InfoRefresh : 0).ToString()));
            fields.Add(("role-reported", ri.RoleReported == InstanceFlags.Master ? "master" : "slave"));
            fields.Add(("role-reported-time", (now - ri.RoleReportedTime).ToString()));
        }
        if (ri.Is(InstanceFlags.Master))
        {
            fields.Add(("config-epoch", ri.ConfigEpoch.ToString()));
            fields.Add(("num-slaves", ri.Slaves.Count.ToString()));
            fields.Add(("num-other-sentinels", ri.Sentinels.Count.ToString()));
            fields.Add(("quorum", ri.Quorum.ToString()));
            fields.Add(("failover-timeout", ri.FailoverTimeout.ToString()));
            fields.Add(("parallel-syncs", ri.ParallelSyncs.ToString()));
            if (ri.NotificationScript != null) fields.Add(("notification-script", ri.NotificationScript));
            if (ri.ClientReconfigScript != null) fields.Add(("client-reconfig-script", ri.ClientReconfigScript));
        }
        if (ri.Is(InstanceFlags.Slave))
        {
            fields.Add(("master-link-down-time", ri.MasterLinkDownTime.ToString()));
            fields.Add(("master-link-status", ri.SlaveMasterLinkUp ? "ok" : "err"));
            fields.Add(("master-host", ri.SlaveMasterHost ?? "?"));
            fields.Add(("master-port", ri.SlaveMasterPort.ToString()));
            fields.Add(("slave-priority", ri.SlavePriority.ToString()));
            fields.Add(("slave-repl-offset", ri.SlaveReplOffset.ToString()));
            fields.Add(("replica-announced", ri.ReplicaAnnounced ? "1" : "0"));
        }
        if (ri.Is(InstanceFlags.Sentinel))
        {
            fields.Add(("last-hello-message", (now - ri.LastHelloTime).ToString()));
            fields.Add(("voted-leader", ri.Leader ?? "?"));
            fields.Add(("voted-leader-epoch", ri.LeaderEpoch.ToString()));
        }
        c.Reply.MapHeader(fields.Count);
        foreach (var (k, v) in fields)
        {
            c.Reply.Bulk(k);
            c.Reply.Bulk(v);
        }
    }

    static string FailoverStateName(FailoverState s) => s switch
    {
        FailoverState.WaitStart => "wait_start",
        FailoverState.SelectSlave => "select_slave",
        FailoverState.SendSlaveofNoOne => "send_slaveof_noone",
        FailoverState.WaitPromotion => "wait_promotion",
        FailoverState.ReconfSlaves => "reconf_slaves",
        FailoverState.UpdateConfig => "update_config",
        _ => "none",
    };

    static void Masters(Client c)
    {
        var masters = State(c).Masters.Values.ToList();
        c.Reply.ArrayHeader(masters.Count);
        foreach (var m in masters) ReplyInstance(c, m);
    }

    static void Master(Client c)
    {
        var m = MasterOrError(c, 2);
        if (m != null) ReplyInstance(c, m);
    }

    static void Replicas(Client c)
    {
        var m = MasterOrError(c, 2);
        if (m == null) return;
        c.Reply.ArrayHeader(m.Slaves.Count);
        foreach (var s in m.Slaves.Values) ReplyInstance(c, s);
    }

    static void Sentinels(Client c)
    {
        var m = MasterOrError(c, 2);
        if (m == null) return;
        c.Reply.ArrayHeader(m.Sentinels.Count);
        foreach (var s in m.Sentinels.Values) ReplyInstance(c, s);
    }

    static void GetMasterAddr(Client c)
    {
        if (!State(c).Masters.TryGetValue(c.ArgString(2), out var m))
        {
            c.Reply.NullArray();
            return;
        }
        // During a failover, once the replica is promoted, clients are sent to it already.
        var (ip, port) = m.CurrentAddress;
        c.Reply.ArrayHeader(2);
        c.Reply.Bulk(ip);
        c.Reply.Bulk(port.ToString(CultureInfo.InvariantCulture));
    }

    static void Reset(Client c)
    {
        var state = State(c);
        var pattern = c.Arg(2);
        int n = 0;
        foreach (var m in state.Masters.Values)
        {
            if (!Glob.Match(pattern, System.Text.Encoding.UTF8.GetBytes(m.Name))) continue;
            state.ResetMaster(m, keepSentinels: false);
            n++;
        }
        if (n > 0) state.FlushConfig();
        c.Reply.Integer(n);
    }

    static void Failover(Client c)
    {
        var state = State(c);
        var m = MasterOrError(c, 2);
        if (m == null) return;
        if (m.Is(InstanceFlags.FailoverInProgress))
        {
            c.Error("INPROG Failover already in progress"u8);
            return;
        }
        if (state.SelectSlave(m) == null)
        {
            c.Error("NOGOODSLAVE No suitable replica to promote"u8);
            return;
        }
        Common.Logging.Log.Warning($"Executing user requested FAILOVER of '{m.Name}'");
        state.StartFailover(m);
        m.Flags |= InstanceFlags.ForceFailover;
        c.Reply.Ok();
    }

    static void CkQuorum(Client c)
    {
        var m = MasterOrError(c, 2);
        if (m == null) return;
        int usable = 1 + m.Sentinels.Values.Count(s => !s.Is(InstanceFlags.SDown | InstanceFlags.ODown));
        int voters = m.Sentinels.Count + 1;
        int majority = voters / 2 + 1;
        if (usable < m.Quorum)
            c.Error($"NOQUORUM {usable} usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master");
        else if (usable < majority)
            c.Error($"NOQUORUM {usable} usable Sentinels. Not enough available Sentinels to reach the majority and authorize a failover");
        else
            c.Reply.SimpleString($"OK {usable} usable Sentinels. Quorum and failover authorization can be reached");
    }

    static void FlushConfig(Client c)
    {
        State(c).FlushConfig();
        c.Reply.Ok();
    }

    static void Monitor(Client c)
    {
        var state = State(c);
        string name = c.ArgString(2), host = c.ArgString(3);
        if (!NumberParsing.TryParseInt64(c.Arg(5), out long quorum)) { c.Error(Errors.NotInteger); return; }
        if (quorum <= 0) { c.Error("ERR Quorum must be 1 or greater."u8); return; }
        if (!NumberParsing.TryParseInt64(c.Arg(4), out long port) || port <= 0 || port > 65535) { c.Error("ERR Invalid port number"u8); return; }
        if (!System.Net.IPAddress.TryParse(host, out _) && !state.ResolveHostnames)
        {
            c.Error("ERR Invalid IP address or hostname specified"u8);
            return;
        }
        if (state.Masters.ContainsKey(name)) { c.Error("ERR Duplicate master name."u8); return; }
        var m = new SentinelInstance(InstanceFlags.Master, name, host, (int)port, null) { Quorum = (int)quorum };
        state.Masters[name] = m;
        state.FlushConfig();
        state.Event(Common.Logging.LogLevel.Warning, "+monitor", m, $"quorum {quorum}");
        c.Reply.Ok();
    }

    static void Remove(Client c)
    {
        var state = State(c);
        var m = MasterOrError(c, 2);
        if (m == null) return;
        state.Event(Common.Logging.LogLevel.Warning, "-monitor", m);
        state.ResetMaster(m, keepSentinels: false);
        state.Masters.Remove(m.Name);
        state.FlushConfig();
        c.Reply.Ok();
    }

    static void Set(Client c)
    {
        var state = State(c);
        var m = MasterOrError(c, 2);
        if (m == null) return;
        if ((c.Argc - 3) % 2 != 0) { c.Error("ERR wrong number of arguments for 'sentinel|set' command"u8); return; }
        for (int j = 3; j < c.Argc; j += 2)
        {
            string option = c.ArgString(j).ToLowerInvariant(), value = c.ArgString(j + 1);
            string? bad = option switch
            {
                "down-after-milliseconds" => long.TryParse(value, out long v) && v > 0 ? Apply(() => m.DownAfterMs = v) : value,
                "failover-timeout" => long.TryParse(value, out long v) && v > 0 ? Apply(() => m.FailoverTimeout = v) : value,
                "parallel-syncs" => int.TryParse(value, out int v) && v > 0 ? Apply(() => m.ParallelSyncs = v) : value,
                "quorum" => int.TryParse(value, out int v) && v > 0 ? Apply(() => m.Quorum = v) : value,
                "auth-pass" => Apply(() => m.AuthPass = value.Length == 0 ? null : value),
                "auth-user" => Apply(() => m.AuthUser = value.Length == 0 ? null : value),
                "master-reboot-down-after-period" => long.TryParse(value, out long v) && v >= 0 ? Apply(() => m.MasterRebootDownAfterPeriod = v) : value,
                "notification-script" or "client-reconfig-script" when state.DenyScriptsReconfig => "\u0001",
                "notification-script" => File.Exists(value) || value.Length == 0 ? Apply(() => m.NotificationScript = value.Length == 0 ? null : value) : value,
                "client-reconfig-script" => File.Exists(value) || value.Length == 0 ? Apply(() => m.ClientReconfigScript = value.Length == 0 ? null : value) : value,
                _ => "\u0002",
            };
            if (bad == "\u0001")
            {
                c.Error("ERR Reconfiguration of scripts path is denied for security reasons. Check the deny-scripts-reconfig configuration directive in your config file."u8);
                return;
            }
            if (bad == "\u0002")
            {
                c.Error($"ERR Unknown option or number of arguments for SENTINEL SET '{option}'");
                return;
            }
            if (bad != null)
            {
                c.Error($"ERR Invalid argument '{value}' for SENTINEL SET '{option}'");
                return;
            }
            state.Event(Common.Logging.LogLevel.Warning, "+set", m, $"{option} {value}");
        }
        state.FlushConfig();
        c.Reply.Ok();
    }

    static string? Apply(Action set)
    {
        set();
        return null;
    }

    static void IsMasterDownByAddr(Client c)
    {
        var state = State(c);
        if (!NumberParsing.TryParseInt64(c.Arg(3), out long port) || !NumberParsing.TryParseInt64(c.Arg(4), out long epoch))
        {
            c.Error(Errors.NotInteger);
            return;
        }
        string ip = c.ArgString(2), runId = c.ArgString(5);
        var master = state.Masters.Values.FirstOrDefault(m => m.Ip == ip && m.Port == port);
        bool down = master != null && master.Is(InstanceFlags.SDown) && !state.Tilt;
        string? leader = null;
        long leaderEpoch = 0;
        if (master != null && runId != "*") leader = state.VoteLeader(master, epoch, runId, out leaderEpoch);
        c.Reply.ArrayHeader(3);
        c.Reply.Integer(down ? 1 : 0);
        c.Reply.Bulk(leader ?? "*");
        c.Reply.Integer(leader != null ? leaderEpoch : 0);
    }

    static void InfoCache(Client c)
    {
        var state = State(c);
        var selected = new List<SentinelInstance>();
        for (int j = 2; j < c.Argc; j++)
            if (state.Masters.TryGetValue(c.ArgString(j), out var m)) selected.Add(m);
        long now = Clock.UnixMs();
        c.Reply.ArrayHeader(selected.Count * 2);
        foreach (var m in selected)
        {
            c.Reply.Bulk(m.Name);
            var instances = new List<SentinelInstance> { m };
            instances.AddRange(m.Slaves.Values);
            c.Reply.ArrayHeader(instances.Count);
            foreach (var ri in instances)
            {
                c.Reply.ArrayHeader(2);
                if (ri.Info == null) { c.Reply.Null(); c.Reply.Null(); continue; }
                c.Reply.Integer(now - ri.InfoRefresh);
                c.Reply.Bulk(ri.Info);
            }
        }
    }

    static void PendingScripts(Client c)
    {
        // Scripts are listed without their internal bookkeeping; an empty array when idle.
        c.Reply.ArrayHeader(0);
    }

    static void SimulateFailure(Client c)
    {
        var state = State(c);
        for (int j = 2; j < c.Argc; j++)
        {
            if (c.ArgIs(j, "crash-after-election"u8)) state.SimulateFailureFlags |= SentinelState.SimFailureCrashAfterElection;
            else if (c.ArgIs(j, "crash-after-promotion"u8)) state.SimulateFailureFlags |= SentinelState.SimFailureCrashAfterPromotion;
            else if (c.ArgIs(j, "help"u8))
            {
                c.Reply.ArrayHeader(2);
                c.Reply.Bulk("crash-after-election"u8);
                c.Reply.Bulk("crash-after-promotion"u8);
                return;
            }
            else { c.Error("ERR Unknown failure simulation specified"u8); return; }
        }
        c.Reply.Ok();
    }

    static void Config(Client c)
    {
        var state = State(c);
        var options = new (string Name, Func<string> Get, Func<string, bool> Set)[]
        {
            ("resolve-hostnames", () => state.ResolveHostnames ? "yes" : "no", v => SetBool(v, b => state.ResolveHostnames = b)),
            ("announce-hostnames", () => state.AnnounceHostnames ? "yes" : "no", v => SetBool(v, b => state.AnnounceHostnames = b)),
            ("announce-ip", () => state.AnnounceIp, v => { state.AnnounceIp = v; return true; }),
            ("announce-port", () => state.AnnouncePort.ToString(), v => int.TryParse(v, out int p) && p >= 0 && p <= 65535 && (state.AnnouncePort = p) >= 0),
            ("sentinel-user", () => state.SentinelUser, v => { state.SentinelUser = v; return true; }),
            ("sentinel-pass", () => state.SentinelPass, v => { state.SentinelPass = v; return true; }),
        };
        if (c.ArgIs(2, "get"u8) && c.Argc == 4)
        {
            var pattern = c.ArgBytes(3);
            var matches = options.Where(o => Glob.Match(pattern, System.Text.Encoding.UTF8.GetBytes(o.Name), noCase: true)).ToList();
            c.Reply.MapHeader(matches.Count);
            foreach (var o in matches) { c.Reply.Bulk(o.Name); c.Reply.Bulk(o.Get()); }
            return;
        }
        if (c.ArgIs(2, "set"u8) && c.Argc == 5)
        {
            string name = c.ArgString(3).ToLowerInvariant(), value = c.ArgString(4);
            var option = options.FirstOrDefault(o => o.Name == name);
            if (option.Name == null || !option.Set(value))
            {
                c.Error($"ERR Invalid argument '{value}' to SENTINEL CONFIG SET '{name}'");
                return;
            }
            state.FlushConfig();
            c.Reply.Ok();
            return;
        }
        c.Error("ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported."u8);
    }

    static bool SetBool(string v, Action<bool> set)
    {
        if (v.Equals("yes", StringComparison.OrdinalIgnoreCase)) { set(true); return true; }
        if (v.Equals("no", StringComparison.OrdinalIgnoreCase)) { set(false); return true; }
        return false;
    }

    static void Debug(Client c)
    {
        (string, long)[] timings =
        [
            ("INFO-PERIOD", 10000), ("PING-PERIOD", 1000), ("ASK-PERIOD", 1000), ("PUBLISH-PERIOD", 2000),
            ("DEFAULT-DOWN-AFTER", 30000), ("DEFAULT-FAILOVER-TIMEOUT", 180000), ("TILT-TRIGGER", 2000), ("TILT-PERIOD", 30000),
            ("SLAVE-RECONF-TIMEOUT", 10000), ("MIN-LINK-RECONNECT-PERIOD", 15000), ("ELECTION-TIMEOUT", 10000),
            ("SCRIPT-MAX-RUNTIME", 60000), ("SCRIPT-RETRY-DELAY", 30000),
        ];
        if (c.Argc > 2)
        {
            c.Error("ERR Changing sentinel timing parameters is not supported by csredis-sentinel"u8);
            return;
        }
        c.Reply.MapHeader(timings.Length);
        foreach (var (k, v) in timings) { c.Reply.Bulk(k); c.Reply.Bulk(v.ToString()); }
    }

    static void Help(Client c)
    {
        string[] lines =
        [
            "SENTINEL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "CKQUORUM <master-name>", "    Check if the current Sentinel configuration is able to reach the quorum needed",
            "    to failover a master and the majority needed to authorize the failover.",
            "CONFIG SET <param> <value>", "    Set a global Sentinel configuration parameter.",
            "CONFIG GET <param>", "    Get global Sentinel configuration parameter.",
            "DEBUG [<param> <value> ...]", "    Show a list of configurable time parameters and their values (milliseconds).",
            "GET-MASTER-ADDR-BY-NAME <master-name>", "    Return the ip and port number of the master with that name.",
            "FAILOVER <master-name>", "    Manually failover a master node without asking for agreement from other",
            "    Sentinels", "FLUSHCONFIG", "    Force Sentinel to rewrite its configuration on disk, including the current",
            "    Sentinel state.", "INFO-CACHE <master-name>", "    Return last cached INFO output from masters and all its replicas.",
            "IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>", "    Check if the master specified by ip:port is down from current Sentinel's",
            "    point of view.", "MASTER <master-name>", "    Show the state and info of the specified master.",
            "MASTERS", "    Show a list of monitored masters and their state.", "MONITOR <name> <ip> <port> <quorum>",
            "    Start monitoring a new master with the specified name, ip, port and quorum.", "MYID", "    Return the ID of the Sentinel instance.",
            "PENDING-SCRIPTS", "    List pending scripts.", "REMOVE <master-name>", "    Remove master from Sentinel's monitor list.",
            "REPLICAS <master-name>", "    Show a list of replicas for this master and their state.", "RESET <pattern>",
            "    Reset masters for specific master name matching this pattern.", "SENTINELS <master-name>",
            "    Show a list of Sentinel instances for this master and their state.", "SET <master-name> <option> <value> [<option> <value> ...]",
            "    Set configuration paramters for certain masters.", "SIMULATE-FAILURE [CRASH-AFTER-ELECTION] [CRASH-AFTER-PROMOTION] [HELP]",
            "    Simulate a Sentinel crash.", "HELP", "    Prints this help.",
        ];
        c.Reply.ArrayHeader(lines.Length);
        foreach (var line in lines) c.Reply.SimpleString(line);
    }

    static void Info(Client c)
    {
        var state = State(c);
        var s = c.Server;
        var sb = new System.Text.StringBuilder();
        bool all = c.Argc == 1 || c.ArgIs(1, "all"u8) || c.ArgIs(1, "everything"u8) || c.ArgIs(1, "default"u8);
        bool Want(string section) => all || Enumerable.Range(1, c.Argc - 1).Any(j => c.ArgString(j).Equals(section, StringComparison.OrdinalIgnoreCase));
        var sections = new[] { "server", "clients", "stats", "cpu" }.Where(Want).ToList();
        sb.Append(InfoCommand.Generate(s, sections));
        if (Want("sentinel"))
        {
            if (sb.Length > 0) sb.Append("\r\n");
            sb.Append("# Sentinel\r\n");
            sb.Append($"sentinel_masters:{state.Masters.Count}\r\n");
            sb.Append($"sentinel_tilt:{(state.Tilt ? 1 : 0)}\r\n");
            sb.Append($"sentinel_tilt_since_seconds:{(state.Tilt ? (Clock.UnixMs() - state.TiltStartTime) / 1000 : -1)}\r\n");
            sb.Append($"sentinel_running_scripts:{state.RunningScripts}\r\n");
            sb.Append($"sentinel_scripts_queue_length:{state.QueuedScripts}\r\n");
            sb.Append($"sentinel_simulate_failure_flags:{state.SimulateFailureFlags}\r\n");
            int i = 0;
            foreach (var m in state.Masters.Values)
            {
                string status = m.Is(InstanceFlags.ODown) ? "odown" : m.Is(InstanceFlags.SDown) ? "sdown" : "ok";
                sb.Append($"master{i++}:name={m.Name},status={status},address={m.Ip}:{m.Port},slaves={m.Slaves.Count},sentinels={m.Sentinels.Count + 1}\r\n");
            }
        }
        c.Reply.Verbatim(System.Text.Encoding.UTF8.GetBytes(sb.ToString()), "txt"u8);
    }

    static void Role(Client c)
    {
        var state = State(c);
        c.Reply.ArrayHeader(2);
        c.Reply.Bulk("sentinel"u8);
        c.Reply.ArrayHeader(state.Masters.Count);
        foreach (var m in state.Masters.Values) c.Reply.Bulk(m.Name);
    }
}
