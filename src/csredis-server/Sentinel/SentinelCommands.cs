// Commands of a sentinel (Redis's sentinelCommand and friends): SENTINEL and its subcommands,
// INFO with the Sentinel section, ROLE, and the sentinel's PUBLISH, which only takes hello
// messages from other sentinels. In sentinel mode the command table holds only these plus the
// connection, pub/sub (clients subscribe to events), CLIENT, COMMAND and SHUTDOWN commands;
// everything else is an unknown command, as in Redis.
using System.Globalization;
using Csredis.Common;
using Csredis.Common.Logging;
using Csredis.Common.Text;
using Csredis.Server.Commands;
using Csredis.Server.Networking;

namespace Csredis.Server.Sentinel;

public static class SentinelCommands
{
    /// <summary>The sentinel's command table: the server commands a sentinel keeps plus SENTINEL, INFO, ROLE and PUBLISH.</summary>
    public static CommandTable CreateTable()
    {
        var server = CommandTable.CreateServerTable();
        var table = new CommandTable();
        foreach (var name in new[] { "ping", "subscribe", "unsubscribe", "psubscribe", "punsubscribe", "client", "shutdown", "auth", "hello", "command" })
            table.Add(server.FindOriginal(name) ?? throw new InvalidOperationException($"sentinel needs the server's '{name}' command"));
        var admin = CommandFlags.Admin | CommandFlags.Sentinel | CommandFlags.OnlySentinel;
        string[] adminSlow = ["admin", "slow", "dangerous"];
        table.Add(new Command { Name = "info", Arity = -1, Flags = CommandFlags.Sentinel | CommandFlags.Loading | CommandFlags.Stale, Handler = Info, Group = "server", Categories = ["slow", "dangerous"] });
        table.Add(new Command { Name = "role", Arity = 1, Flags = CommandFlags.Sentinel | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast, Handler = Role, Group = "server", Categories = ["admin", "fast", "dangerous"] });
        table.Add(new Command { Name = "publish", Arity = 3, Flags = CommandFlags.Sentinel | CommandFlags.PubSub | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast, Handler = Publish, Group = "pubsub", Categories = ["pubsub", "fast"] });
        Command Sub(string name, int arity, CommandHandler handler) =>
            new() { Name = "sentinel|" + name, Arity = arity, Flags = admin, Handler = handler, Group = "sentinel", Categories = adminSlow };
        table.Add(new Command { Name = "sentinel", Arity = -2, Flags = admin, Handler = _ => { }, Group = "sentinel", Categories = adminSlow }.WithSubcommands(
            Sub("masters", 2, Masters),
            Sub("master", 3, Master),
            Sub("replicas", 3, Replicas),
            Sub("slaves", 3, Replicas),
            Sub("sentinels", 3, Sentinels),
            Sub("get-master-addr-by-name", 3, GetMasterAddr),
            Sub("reset", 3, Reset),
            Sub("failover", 3, Failover),
            Sub("ckquorum", 3, CkQuorum),
            Sub("flushconfig", 2, c => FlushConfigAndReply(c, State(c))),
            Sub("monitor", 6, Monitor),
            Sub("remove", 3, Remove),
            Sub("set", -5, Set),
            Sub("is-master-down-by-addr", 6, IsMasterDownByAddr),
            Sub("myid", 2, c => c.Reply.Bulk(State(c).MyId)),
            Sub("info-cache", -3, InfoCache),
            Sub("pending-scripts", 2, c => State(c).ReplyPendingScripts(c)),
            Sub("simulate-failure", -3, SimulateFailure),
            Sub("config", -3, Config),
            Sub("debug", -2, Debug),
            new Command { Name = "sentinel|help", Arity = 2, Flags = CommandFlags.Sentinel | CommandFlags.OnlySentinel | CommandFlags.Loading | CommandFlags.Stale, Handler = Help, Group = "sentinel", Categories = ["slow"] }));
        return table;
    }

    static SentinelState State(Client c) => c.Server.Sentinel!;

    static SentinelInstance? MasterOrError(Client c, int arg)
    {
        if (State(c).Masters.TryGetValue(c.ArgString(arg), out var m)) return m;
        c.Error("ERR No such master with that name"u8);
        return null;
    }

    static string N(long v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>One instance as SENTINEL MASTER/REPLICAS/SENTINELS show it (fields and order of Redis 7.0).</summary>
    static void ReplyInstance(Client c, SentinelState state, SentinelInstance ri)
    {
        long now = Clock.UnixMs();
        var link = ri.Link;
        var fields = new List<(string, string)>
        {
            ("name", ri.Name), ("ip", state.Announce(ri.Addr)), ("port", N(ri.Port)), ("runid", ri.RunId ?? ""),
            ("flags", ri.FlagsText()), ("link-pending-commands", N(link.PendingCommands)), ("link-refcount", N(link.RefCount)),
        };
        if (ri.Is(InstanceFlags.FailoverInProgress)) fields.Add(("failover-state", FailoverStateName(ri.FailoverState)));
        fields.Add(("last-ping-sent", N(link.ActivePingTime != 0 ? now - link.ActivePingTime : 0)));
        fields.Add(("last-ok-ping-reply", N(now - link.LastAvailTime)));
        fields.Add(("last-ping-reply", N(now - link.LastPongTime)));
        if (ri.Is(InstanceFlags.SDown)) fields.Add(("s-down-time", N(now - ri.SDownSinceTime)));
        if (ri.Is(InstanceFlags.ODown)) fields.Add(("o-down-time", N(now - ri.ODownSinceTime)));
        fields.Add(("down-after-milliseconds", N(ri.DownAfterMs)));
        if (ri.Is(InstanceFlags.Master | InstanceFlags.Slave))
        {
            fields.Add(("info-refresh", N(ri.InfoRefresh != 0 ? now - ri.InfoRefresh : 0)));
            fields.Add(("role-reported", ri.RoleReported == InstanceFlags.Master ? "master" : "slave"));
            fields.Add(("role-reported-time", N(now - ri.RoleReportedTime)));
        }
        if (ri.Is(InstanceFlags.Master))
        {
            fields.Add(("config-epoch", N(ri.ConfigEpoch)));
            fields.Add(("num-slaves", N(ri.Slaves.Count)));
            fields.Add(("num-other-sentinels", N(ri.Sentinels.Count)));
            fields.Add(("quorum", N(ri.Quorum)));
            fields.Add(("failover-timeout", N(ri.FailoverTimeout)));
            fields.Add(("parallel-syncs", N(ri.ParallelSyncs)));
            if (ri.NotificationScript != null) fields.Add(("notification-script", ri.NotificationScript));
            if (ri.ClientReconfigScript != null) fields.Add(("client-reconfig-script", ri.ClientReconfigScript));
        }
        if (ri.Is(InstanceFlags.Slave))
        {
            fields.Add(("master-link-down-time", N(ri.MasterLinkDownTime)));
            fields.Add(("master-link-status", ri.SlaveMasterLinkUp ? "ok" : "err"));
            fields.Add(("master-host", ri.SlaveMasterHost ?? "?"));
            fields.Add(("master-port", N(ri.SlaveMasterPort)));
            fields.Add(("slave-priority", N(ri.SlavePriority)));
            fields.Add(("slave-repl-offset", N(ri.SlaveReplOffset)));
            fields.Add(("replica-announced", ri.ReplicaAnnounced ? "1" : "0"));
        }
        if (ri.Is(InstanceFlags.Sentinel))
        {
            fields.Add(("last-hello-message", N(now - ri.LastHelloTime)));
            fields.Add(("voted-leader", ri.Leader ?? "?"));
            fields.Add(("voted-leader-epoch", N(ri.LeaderEpoch)));
        }
        c.Reply.MapHeader(fields.Count);
        foreach (var (k, v) in fields)
        {
            c.Reply.Bulk(k);
            c.Reply.Bulk(v);
        }
    }

    /// <summary>A table of instances; replicas that asked not to be announced are left out.</summary>
    static void ReplyInstances(Client c, SentinelState state, IEnumerable<SentinelInstance> instances)
    {
        var shown = instances.Where(ri => !(ri.Is(InstanceFlags.Slave) && !ri.ReplicaAnnounced)).ToList();
        c.Reply.ArrayHeader(shown.Count);
        foreach (var ri in shown) ReplyInstance(c, state, ri);
    }

    static string FailoverStateName(FailoverState s) => s switch
    {
        FailoverState.None => "none",
        FailoverState.WaitStart => "wait_start",
        FailoverState.SelectSlave => "select_slave",
        FailoverState.SendSlaveofNoOne => "send_slaveof_noone",
        FailoverState.WaitPromotion => "wait_promotion",
        FailoverState.ReconfSlaves => "reconf_slaves",
        FailoverState.UpdateConfig => "update_config",
        _ => "unknown",
    };

    static void Masters(Client c) => ReplyInstances(c, State(c), State(c).Masters.Values);

    static void Master(Client c)
    {
        var m = MasterOrError(c, 2);
        if (m != null) ReplyInstance(c, State(c), m);
    }

    static void Replicas(Client c)
    {
        var m = MasterOrError(c, 2);
        if (m != null) ReplyInstances(c, State(c), m.Slaves.Values);
    }

    static void Sentinels(Client c)
    {
        var m = MasterOrError(c, 2);
        if (m != null) ReplyInstances(c, State(c), m.Sentinels.Values);
    }

    static void GetMasterAddr(Client c)
    {
        var state = State(c);
        if (!state.Masters.TryGetValue(c.ArgString(2), out var m))
        {
            c.Reply.NullArray();
            return;
        }
        // Once the replica is promoted, clients are sent to it, before the failover ends.
        var addr = m.CurrentAddress;
        c.Reply.ArrayHeader(2);
        c.Reply.Bulk(state.Announce(addr));
        c.Reply.Bulk(N(addr.Port));
    }

    static void Reset(Client c)
    {
        var state = State(c);
        var pattern = c.Arg(2);
        int n = 0;
        foreach (var m in state.Masters.Values)
        {
            if (!Glob.Match(pattern, System.Text.Encoding.UTF8.GetBytes(m.Name))) continue;
            state.ResetMaster(m, keepSentinels: false, generateEvent: true);
            n++;
        }
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
        Log.Warning($"Executing user requested FAILOVER of '{m.Name}'");
        state.StartFailover(m);
        m.Flags |= InstanceFlags.ForceFailover;
        c.Reply.Ok();
    }

    static void CkQuorum(Client c)
    {
        var m = MasterOrError(c, 2);
        if (m == null) return;
        int usable = 1 + m.Sentinels.Values.Count(s => !s.Is(InstanceFlags.SDown | InstanceFlags.ODown));
        bool noQuorum = usable < m.Quorum, noAuth = usable < (m.Sentinels.Count + 1) / 2 + 1;
        if (!noQuorum && !noAuth)
        {
            c.Reply.SimpleString($"OK {usable} usable Sentinels. Quorum and failover authorization can be reached");
            return;
        }
        var e = new System.Text.StringBuilder($"NOQUORUM {usable} usable Sentinels. ");
        if (noQuorum) e.Append("Not enough available Sentinels to reach the specified quorum for this master");
        if (noAuth)
        {
            if (noQuorum) e.Append(". ");
            e.Append("Not enough available Sentinels to reach the majority and authorize a failover");
        }
        c.Error(e.ToString());
    }

    static void FlushConfigAndReply(Client c, SentinelState state)
    {
        if (state.FlushConfig()) c.Reply.Ok();
        else c.Error("ERR Failed to save config file. Check server logs."u8);
    }

    static void Monitor(Client c)
    {
        var state = State(c);
        if (!NumberParsing.TryParseInt64(c.Arg(5), out long quorum)) { c.Error("ERR Invalid quorum"u8); return; }
        if (!NumberParsing.TryParseInt64(c.Arg(4), out long port)) { c.Error("ERR Invalid port"u8); return; }
        if (quorum <= 0) { c.Error("ERR Quorum must be 1 or greater."u8); return; }
        string host = c.ArgString(3);
        if (state.Resolve(host) == null)
        {
            c.Error("ERR Invalid IP address or hostname specified"u8);
            return;
        }
        var m = state.CreateInstance(c.ArgString(2), InstanceFlags.Master, host, (int)Math.Clamp(port, -1, 65536), (int)Math.Min(quorum, int.MaxValue), null, out string? error);
        if (m == null)
        {
            c.Error("ERR " + error);
            return;
        }
        FlushConfigAndReply(c, state);
        state.Event(LogLevel.Warning, "+monitor", m, $"quorum {m.Quorum}");
    }

    static void Remove(Client c)
    {
        var state = State(c);
        var m = MasterOrError(c, 2);
        if (m == null) return;
        state.Event(LogLevel.Warning, "-monitor", m);
        state.RemoveMaster(m);
        FlushConfigAndReply(c, state);
    }

    /// <summary>SENTINEL SET name option value [option value ...]: applied in order up to the first bad one.</summary>
    static void Set(Client c)
    {
        var state = State(c);
        var m = MasterOrError(c, 2);
        if (m == null) return;
        int changes = 0;
        for (int j = 3; j < c.Argc; j++)
        {
            int moreArgs = c.Argc - 1 - j;
            string option = c.ArgString(j);
            int first = j;
            bool redacted = false;
            string? badFormat = null;
            string Value() => c.ArgString(++j);
            bool PositiveNumber(out long v) => NumberParsing.TryParseInt64(c.Arg(++j), out v) && v > 0;
            switch (option.ToLowerInvariant())
            {
                case "down-after-milliseconds" when moreArgs > 0:
                    if (!PositiveNumber(out long downAfter)) { badFormat = c.ArgString(j); break; }
                    m.DownAfterMs = downAfter;
                    foreach (var ri in m.Slaves.Values.Concat(m.Sentinels.Values)) ri.DownAfterMs = downAfter;
                    break;
                case "failover-timeout" when moreArgs > 0:
                    if (!PositiveNumber(out long timeout)) { badFormat = c.ArgString(j); break; }
                    m.FailoverTimeout = timeout;
                    break;
                case "parallel-syncs" when moreArgs > 0:
                    if (!PositiveNumber(out long syncs)) { badFormat = c.ArgString(j); break; }
                    m.ParallelSyncs = (int)Math.Min(syncs, int.MaxValue);
                    break;
                case "notification-script" or "client-reconfig-script" when moreArgs > 0:
                {
                    bool notification = option.Equals("notification-script", StringComparison.OrdinalIgnoreCase);
                    string path = Value();
                    if (state.DenyScriptsReconfig)
                    {
                        c.Error("ERR Reconfiguration of scripts path is denied for security reasons. Check the deny-scripts-reconfig configuration directive in your Sentinel configuration"u8);
                        SetFailed(state, changes);
                        return;
                    }
                    if (path.Length > 0 && Common.Native.Libc.access(path, Common.Native.Libc.X_OK) != 0)
                    {
                        c.Error(notification ? "ERR Notification script seems non existing or non executable"u8
                            : "ERR Client reconfiguration script seems non existing or non executable"u8);
                        SetFailed(state, changes);
                        return;
                    }
                    if (notification) m.NotificationScript = path.Length > 0 ? path : null;
                    else m.ClientReconfigScript = path.Length > 0 ? path : null;
                    break;
                }
                case "auth-pass" when moreArgs > 0:
                {
                    string pass = Value();
                    m.AuthPass = pass.Length > 0 ? pass : null;
                    state.DropMasterConnections(m);
                    redacted = true;
                    break;
                }
                case "auth-user" when moreArgs > 0:
                {
                    string user = Value();
                    m.AuthUser = user.Length > 0 ? user : null;
                    state.DropMasterConnections(m);
                    break;
                }
                case "quorum" when moreArgs > 0:
                    if (!PositiveNumber(out long quorum)) { badFormat = c.ArgString(j); break; }
                    m.Quorum = (int)Math.Min(quorum, int.MaxValue);
                    break;
                case "rename-command" when moreArgs > 1:
                {
                    string from = Value(), to = Value();
                    if (from.Length == 0 || to.Length == 0) { badFormat = to.Length > 0 ? from : to; break; }
                    m.RenamedCommands.Remove(from);
                    if (!from.Equals(to, StringComparison.OrdinalIgnoreCase)) m.RenamedCommands[from] = to;
                    break;
                }
                case "master-reboot-down-after-period" when moreArgs > 0:
                    if (!NumberParsing.TryParseInt64(c.Arg(++j), out long period) || period < 0) { badFormat = c.ArgString(j); break; }
                    m.MasterRebootDownAfterPeriod = period;
                    break;
                default:
                    c.Error($"ERR Unknown option or number of arguments for SENTINEL SET '{option}'");
                    SetFailed(state, changes);
                    return;
            }
            if (badFormat != null)
            {
                c.Error($"ERR Invalid argument '{badFormat}' for SENTINEL SET '{option}'");
                SetFailed(state, changes);
                return;
            }
            changes++;
            int numArgs = j - first + 1;
            string detail = numArgs switch
            {
                2 => $"{c.ArgString(first)} {(redacted ? "******" : c.ArgString(first + 1))}",
                3 => $"{c.ArgString(first)} {c.ArgString(first + 1)} {c.ArgString(first + 2)}",
                _ => c.ArgString(first),
            };
            state.Event(LogLevel.Warning, "+set", m, detail);
        }
        if (changes > 0) FlushConfigAndReply(c, state);
    }

    /// <summary>The options applied before the bad one stay applied, and are saved.</summary>
    static void SetFailed(SentinelState state, int changes)
    {
        if (changes > 0) state.FlushConfig();
    }

    static void IsMasterDownByAddr(Client c)
    {
        var state = State(c);
        if (!NumberParsing.TryParseInt64(c.Arg(3), out long port) || !NumberParsing.TryParseInt64(c.Arg(4), out long epoch))
        {
            c.Error(Errors.NotInteger);
            return;
        }
        var master = state.MasterByAddr(c.ArgString(2), (int)Math.Clamp(port, -1, 65536));
        // In TILT our view of time is not trusted: never say down.
        bool down = !state.Tilt && master != null && master.Is(InstanceFlags.SDown);
        string? leader = null;
        long leaderEpoch = 0;
        if (master != null && !c.ArgIs(5, "*"u8)) leader = state.VoteLeader(master, epoch, c.ArgString(5), out leaderEpoch);
        c.Reply.ArrayHeader(3);
        c.Reply.Integer(down ? 1 : 0);
        c.Reply.Bulk(leader ?? "*");
        c.Reply.Integer(leaderEpoch);
    }

    static void InfoCache(Client c)
    {
        var state = State(c);
        var selected = new List<SentinelInstance>();
        for (int j = 2; j < c.Argc; j++)
            if (state.Masters.TryGetValue(c.ArgString(j), out var m) && !selected.Contains(m)) selected.Add(m);
        long now = Clock.UnixMs();
        c.Reply.ArrayHeader(selected.Count * 2);
        foreach (var m in selected)
        {
            c.Reply.Bulk(m.Name);
            c.Reply.ArrayHeader(m.Slaves.Count + 1);
            foreach (var ri in m.Slaves.Values.Prepend(m))
            {
                c.Reply.ArrayHeader(2);
                // Redis measures every entry's age only when the master itself has INFO.
                c.Reply.Integer(m.InfoRefresh != 0 ? now - ri.InfoRefresh : 0);
                if (ri.Info == null) c.Reply.Null();
                else c.Reply.Bulk(ri.Info);
            }
        }
    }

    static void SimulateFailure(Client c)
    {
        var state = State(c);
        state.SimulateFailureFlags = 0;
        for (int j = 2; j < c.Argc; j++)
        {
            if (c.ArgIs(j, "crash-after-election"u8))
            {
                state.SimulateFailureFlags |= SentinelState.SimFailureCrashAfterElection;
                Log.Warning("Failure simulation: this Sentinel will crash after being successfully elected as failover leader");
            }
            else if (c.ArgIs(j, "crash-after-promotion"u8))
            {
                state.SimulateFailureFlags |= SentinelState.SimFailureCrashAfterPromotion;
                Log.Warning("Failure simulation: this Sentinel will crash after promoting the selected replica to master");
            }
            else if (c.ArgIs(j, "help"u8))
            {
                c.Reply.ArrayHeader(2);
                c.Reply.Bulk("crash-after-election"u8);
                c.Reply.Bulk("crash-after-promotion"u8);
                return;
            }
            else
            {
                c.Error("ERR Unknown failure simulation specified"u8);
                return;
            }
        }
        c.Reply.Ok();
    }

    static void Config(Client c)
    {
        if (c.ArgIs(2, "set"u8) && c.Argc == 5) ConfigSet(c);
        else if (c.ArgIs(2, "get"u8) && c.Argc == 4) ConfigGet(c);
        else c.Error("ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported."u8);
    }

    static void ConfigSet(Client c)
    {
        var state = State(c);
        string option = c.ArgString(3), value = c.ArgString(4);
        bool dropSentinelLinks = false;
        bool? yesNo = value.Equals("yes", StringComparison.OrdinalIgnoreCase) ? true : value.Equals("no", StringComparison.OrdinalIgnoreCase) ? false : null;
        switch (option.ToLowerInvariant())
        {
            case "resolve-hostnames" when yesNo != null: state.ResolveHostnames = yesNo.Value; break;
            case "announce-hostnames" when yesNo != null: state.AnnounceHostnames = yesNo.Value; break;
            case "announce-ip": state.AnnounceIp = value; break;
            case "announce-port" when NumberParsing.TryParseInt64(c.Arg(4), out long port) && port >= 0 && port <= 65535:
                state.AnnouncePort = (int)port;
                break;
            case "sentinel-user":
                state.SentinelUser = value.Length == 0 ? null : value;
                dropSentinelLinks = true;
                break;
            case "sentinel-pass":
                state.SentinelPass = value.Length == 0 ? null : value;
                dropSentinelLinks = true;
                break;
            case "resolve-hostnames" or "announce-hostnames" or "announce-port":
                c.Error($"ERR Invalid value '{value}' to SENTINEL CONFIG SET '{option}'");
                return;
            default:
                c.Error($"ERR Invalid argument '{option}' to SENTINEL CONFIG SET");
                return;
        }
        FlushConfigAndReply(c, state);
        if (dropSentinelLinks) state.DropAllSentinelConnections();
    }

    static void ConfigGet(Client c)
    {
        var state = State(c);
        var pattern = c.ArgBytes(3);
        var options = new (string Name, string Value)[]
        {
            ("resolve-hostnames", state.ResolveHostnames ? "yes" : "no"),
            ("announce-hostnames", state.AnnounceHostnames ? "yes" : "no"),
            ("announce-ip", state.AnnounceIp ?? ""),
            ("announce-port", N(state.AnnouncePort)),
            ("sentinel-user", state.SentinelUser ?? ""),
            ("sentinel-pass", state.SentinelPass ?? ""),
        };
        var matches = options.Where(o => Glob.Match(pattern, System.Text.Encoding.UTF8.GetBytes(o.Name), noCase: true)).ToList();
        c.Reply.MapHeader(matches.Count);
        foreach (var (name, value) in matches)
        {
            c.Reply.Bulk(name);
            c.Reply.Bulk(value);
        }
    }

    /// <summary>SENTINEL DEBUG: shows the timing parameters, or sets some (as Redis's tests do to run fast).</summary>
    static void Debug(Client c)
    {
        var state = State(c);
        var parameters = new (string Name, Func<long> Get, Action<long> Set)[]
        {
            ("info-period", () => state.InfoPeriod, v => state.InfoPeriod = v),
            ("ping-period", () => state.PingPeriod, v => state.PingPeriod = v),
            ("ask-period", () => state.AskPeriod, v => state.AskPeriod = v),
            ("publish-period", () => state.PublishPeriod, v => state.PublishPeriod = v),
            ("default-down-after", () => state.DefaultDownAfter, v => state.DefaultDownAfter = v),
            ("default-failover-timeout", () => state.DefaultFailoverTimeout, v => state.DefaultFailoverTimeout = v),
            ("tilt-trigger", () => state.TiltTrigger, v => state.TiltTrigger = v),
            ("tilt-period", () => state.TiltPeriod, v => state.TiltPeriod = v),
            ("slave-reconf-timeout", () => state.SlaveReconfTimeout, v => state.SlaveReconfTimeout = v),
            ("min-link-reconnect-period", () => state.MinLinkReconnectPeriod, v => state.MinLinkReconnectPeriod = v),
            ("election-timeout", () => state.ElectionTimeout, v => state.ElectionTimeout = v),
            ("script-max-runtime", () => state.ScriptMaxRuntime, v => state.ScriptMaxRuntime = v),
            ("script-retry-delay", () => state.ScriptRetryDelay, v => state.ScriptRetryDelay = v),
        };
        if (c.Argc == 2)
        {
            c.Reply.MapHeader(parameters.Length);
            foreach (var p in parameters)
            {
                c.Reply.Bulk(p.Name.ToUpperInvariant());
                c.Reply.Bulk(N(p.Get()));
            }
            return;
        }
        for (int j = 2; j < c.Argc; j++)
        {
            string option = c.ArgString(j);
            var p = parameters.FirstOrDefault(p => p.Name.Equals(option, StringComparison.OrdinalIgnoreCase));
            if (p.Name == null || c.Argc - 1 - j == 0)
            {
                c.Error($"ERR Unknown option or number of arguments for SENTINEL DEBUG '{option}'");
                return;
            }
            j++;
            if (!NumberParsing.TryParseInt64(c.Arg(j), out long value) || value <= 0)
            {
                c.Error($"ERR Invalid argument '{c.ArgString(j)}' for SENTINEL DEBUG '{option}'");
                return;
            }
            p.Set(value);
        }
        c.Reply.Ok();
    }

    static readonly string[] HelpLines =
    [
        "SENTINEL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CKQUORUM <master-name>",
        "    Check if the current Sentinel configuration is able to reach the quorum",
        "    needed to failover a master and the majority needed to authorize the",
        "    failover.",
        "CONFIG SET <param> <value>",
        "    Set a global Sentinel configuration parameter.",
        "CONFIG GET <param>",
        "    Get global Sentinel configuration parameter.",
        "DEBUG [<param> <value> ...]",
        "    Show a list of configurable time parameters and their values (milliseconds).",
        "    Or update current configurable parameters values (one or more).",
        "GET-MASTER-ADDR-BY-NAME <master-name>",
        "    Return the ip and port number of the master with that name.",
        "FAILOVER <master-name>",
        "    Manually failover a master node without asking for agreement from other",
        "    Sentinels",
        "FLUSHCONFIG",
        "    Force Sentinel to rewrite its configuration on disk, including the current",
        "    Sentinel state.",
        "INFO-CACHE <master-name>",
        "    Return last cached INFO output from masters and all its replicas.",
        "IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>",
        "    Check if the master specified by ip:port is down from current Sentinel's",
        "    point of view.",
        "MASTER <master-name>",
        "    Show the state and info of the specified master.",
        "MASTERS",
        "    Show a list of monitored masters and their state.",
        "MONITOR <name> <ip> <port> <quorum>",
        "    Start monitoring a new master with the specified name, ip, port and quorum.",
        "MYID",
        "    Return the ID of the Sentinel instance.",
        "PENDING-SCRIPTS",
        "    Get pending scripts information.",
        "REMOVE <master-name>",
        "    Remove master from Sentinel's monitor list.",
        "REPLICAS <master-name>",
        "    Show a list of replicas for this master and their state.",
        "RESET <pattern>",
        "    Reset masters for specific master name matching this pattern.",
        "SENTINELS <master-name>",
        "    Show a list of Sentinel instances for this master and their state.",
        "SET <master-name> <option> <value> [<option> <value> ...]",
        "    Set configuration parameters for certain masters.",
        "SIMULATE-FAILURE [CRASH-AFTER-ELECTION] [CRASH-AFTER-PROMOTION] [HELP]",
        "    Simulate a Sentinel crash.",
        "HELP",
        "    Prints this help.",
    ];

    static void Help(Client c)
    {
        c.Reply.ArrayHeader(HelpLines.Length);
        foreach (var line in HelpLines) c.Reply.SimpleString(line);
    }

    /// <summary>PUBLISH on a sentinel: only hello messages of other sentinels, processed at once.</summary>
    static void Publish(Client c)
    {
        if (!c.ArgIs(1, System.Text.Encoding.UTF8.GetBytes(SentinelState.HelloChannel)))
        {
            c.Error("ERR Only HELLO messages are accepted by Sentinel instances."u8);
            return;
        }
        State(c).ProcessHello(c.ArgString(2));
        c.Reply.Integer(1);
    }

    /// <summary>INFO: the server, clients, cpu and stats sections a sentinel has, then the Sentinel section.</summary>
    static void Info(Client c)
    {
        var state = State(c);
        string[] sentinelSections = ["server", "clients", "stats", "cpu", "sentinel"];
        var wanted = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (c.Argc == 1) wanted.UnionWith(sentinelSections);
        for (int j = 1; j < c.Argc; j++)
        {
            string section = c.ArgString(j);
            if (section.Equals("all", StringComparison.OrdinalIgnoreCase) || section.Equals("everything", StringComparison.OrdinalIgnoreCase) ||
                section.Equals("default", StringComparison.OrdinalIgnoreCase))
                wanted.UnionWith(sentinelSections);
            else if (sentinelSections.Contains(section, StringComparer.OrdinalIgnoreCase)) wanted.Add(section);
        }
        var sb = new System.Text.StringBuilder();
        sb.Append(InfoCommand.Generate(c.Server, sentinelSections[..4].Where(wanted.Contains).ToList()));
        if (wanted.Contains("sentinel"))
        {
            if (sb.Length > 0) sb.Append("\r\n");
            sb.Append("# Sentinel\r\n");
            sb.Append($"sentinel_masters:{state.Masters.Count}\r\n");
            sb.Append($"sentinel_tilt:{(state.Tilt ? 1 : 0)}\r\n");
            sb.Append($"sentinel_tilt_since_seconds:{(state.Tilt ? (Clock.UnixMs() - state.TiltStartTime) / 1000 : -1)}\r\n");
            sb.Append($"sentinel_running_scripts:{state.RunningScripts}\r\n");
            sb.Append($"sentinel_scripts_queue_length:{state.ScriptsQueueLength}\r\n");
            sb.Append($"sentinel_simulate_failure_flags:{state.SimulateFailureFlags}\r\n");
            int i = 0;
            foreach (var m in state.Masters.Values)
            {
                string status = m.Is(InstanceFlags.ODown) ? "odown" : m.Is(InstanceFlags.SDown) ? "sdown" : "ok";
                sb.Append($"master{i++}:name={m.Name},status={status},address={state.Announce(m.Addr)}:{m.Port},slaves={m.Slaves.Count},sentinels={m.Sentinels.Count + 1}\r\n");
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
