// INFO (Redis's genRedisInfoString): the sections in Redis's order, each "# Title" followed by
// "field:value" lines, sections separated by a blank line, CRLF line ends. Values come from live
// server state; a counter owned by a feature that is absent reads through InfoCounters, where
// that feature installs its own source when it arrives (pub/sub channels, replication...).
using System.Globalization;
using System.Text;
using Csredis.Common;
using Csredis.Common.Native;
using Csredis.Server.Networking;

namespace Csredis.Server.Commands;

public static class InfoCommand
{
    static readonly string[] AllSections =
        ["server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules", "commandstats", "errorstats", "latencystats", "cluster", "keyspace"];
    static readonly string[] DefaultSections =
        ["server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules", "errorstats", "cluster", "keyspace"];

    public static void Register(CommandTable t)
    {
        t.Add(new Command { Name = "info", Arity = -1, Flags = CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Sentinel, Handler = Info, Group = "server", Categories = ["slow", "dangerous"], Since = "1.0.0" });
    }

    static void Info(Client c)
    {
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        if (c.Argc == 1) wanted.UnionWith(DefaultSections);
        for (int j = 1; j < c.Argc; j++)
        {
            string name = c.ArgString(j).ToLowerInvariant();
            if (name == "default") wanted.UnionWith(DefaultSections);
            else if (name == "all" || name == "everything") wanted.UnionWith(AllSections);
            else wanted.Add(name);
        }
        string text = Generate(c.Server, wanted);
        var bytes = Encoding.UTF8.GetBytes(text);
        c.Reply.Verbatim(bytes, "txt"u8);
    }

    public static string Generate(RedisServer server, ICollection<string> sections)
    {
        var info = new InfoWriter();
        foreach (var section in AllSections)
        {
            if (!sections.Contains(section)) continue;
            switch (section)
            {
                case "server": Server(server, info); break;
                case "clients": Clients(server, info); break;
                case "memory": Memory(server, info); break;
                case "persistence": Persistence(server, info); break;
                case "stats": Stats(server, info); break;
                case "replication": Replication(server, info); break;
                case "cpu": Cpu(info); break;
                case "modules": info.Section("Modules"); break;
                case "commandstats": CommandStats(server, info); break;
                case "errorstats": ErrorStats(server, info); break;
                case "latencystats": LatencyStats(server, info); break;
                case "cluster": info.Section("Cluster"); info.Field("cluster_enabled", 0); break;
                case "keyspace": Keyspace(server, info); break;
            }
        }
        return info.ToString();
    }

    static readonly Lazy<(string System, string Release, string Machine)> Uname = new(Libc.Uname);

    static void Server(RedisServer s, InfoWriter info)
    {
        long nowUs = Clock.UnixUs();
        long uptime = (Clock.MonotonicUs() - s.StartMonotonicUs) / 1_000_000;
        var (system, release, machine) = Uname.Value;
        info.Section("Server");
        info.Field("redis_version", RedisServer.RedisVersion);
        info.Field("redis_git_sha1", "00000000");
        info.Field("redis_git_dirty", 0);
        info.Field("redis_build_id", RedisServer.BuildId.Value);
        info.Field("redis_mode", s.Sentinel != null ? "sentinel" : "standalone");
        info.Field("os", $"{system} {release} {machine}");
        info.Field("arch_bits", IntPtr.Size * 8);
        info.Field("monotonic_clock", "POSIX clock_gettime");
        info.Field("multiplexing_api", "epoll");
        info.Field("atomicvar_api", "c11-builtin");
        // Redis reports 0.0.0 when it was not compiled by GCC; neither are we.
        info.Field("gcc_version", "0.0.0");
        info.Field("process_id", Environment.ProcessId);
        info.Field("process_supervised", "no");
        info.Field("run_id", s.RunId);
        info.Field("tcp_port", s.Config.Port);
        info.Field("server_time_usec", nowUs);
        info.Field("uptime_in_seconds", uptime);
        info.Field("uptime_in_days", uptime / 86400);
        info.Field("hz", s.CurrentHz);
        info.Field("configured_hz", s.Config.Hz);
        info.Field("lru_clock", Csredis.Server.Keyspace.LruClock.Now);
        info.Field("executable", s.ExecutablePath);
        info.Field("config_file", s.Config.ConfigFile);
        info.Field("io_threads_active", 0);
    }


    static void Clients(RedisServer s, InfoWriter info)
    {
        long normal = 0, blocked = 0, tracking = 0, maxInput = 0, maxOutput = 0;
        foreach (var c in s.Clients.Values)
        {
            if ((c.Flags & ClientFlags.Replica) == 0) normal++;
            if ((c.Flags & ClientFlags.Blocked) != 0) blocked++;
            if ((c.Flags & ClientFlags.Tracking) != 0) tracking++;
            maxInput = Math.Max(maxInput, c.QueryLength);
            maxOutput = Math.Max(maxOutput, c.Reply.PendingBytes);
        }
        info.Section("Clients");
        info.Field("connected_clients", normal);
        info.Field("cluster_connections", 0);
        info.Field("maxclients", s.Config.MaxClients);
        info.Field("client_recent_max_input_buffer", maxInput);
        info.Field("client_recent_max_output_buffer", maxOutput);
        info.Field("blocked_clients", blocked);
        info.Field("tracking_clients", tracking);
        info.Field("clients_in_timeout_table", s.Counter("clients_in_timeout_table"));
    }

    /// <summary>Memory held by client connections: query buffers and reply buffers (normal, replicas).</summary>
    public static (long Normal, long Replicas) ClientMemory(RedisServer s)
    {
        long normal = 0, replicas = 0;
        foreach (var c in s.Clients.Values)
        {
            long bytes = c.QueryBuffer.Length + c.Reply.Capacity;
            if ((c.Flags & ClientFlags.Replica) != 0) replicas += bytes; else normal += bytes;
        }
        return (normal, replicas);
    }

    static long KeyspaceStructureBytes(RedisServer s)
    {
        long bytes = 0;
        foreach (var db in s.Databases) bytes += db.Main.StructureBytes + db.Expires.StructureBytes;
        return bytes;
    }

    static void Memory(RedisServer s, InfoWriter info)
    {
        long used = s.UsedMemory();
        long rss = RedisServer.ResidentMemory();
        var gc = GC.GetGCMemoryInfo();
        // Before the first collection the GC has no heap figures yet: the heap is then what is allocated.
        long allocated = used;
        long active = gc.HeapSizeBytes > 0 ? gc.HeapSizeBytes : used;
        long resident = gc.TotalCommittedBytes > 0 ? gc.TotalCommittedBytes : Math.Max(active, rss);
        var (clientsNormal, clientsReplicas) = ClientMemory(s);
        long backlog = s.Counter("mem_replication_backlog");
        long overhead = Math.Min(used, s.StartupMemory + clientsNormal + clientsReplicas + backlog + KeyspaceStructureBytes(s));
        long dataset = used - overhead;
        long netOfStartup = used - s.StartupMemory;
        long totalSystem = TotalSystemMemory();
        string policy = s.Config.MaxMemoryPolicy;
        info.Section("Memory");
        info.Field("used_memory", used);
        info.Field("used_memory_human", Human(used));
        info.Field("used_memory_rss", rss);
        info.Field("used_memory_rss_human", Human(rss));
        info.Field("used_memory_peak", s.PeakMemory);
        info.Field("used_memory_peak_human", Human(s.PeakMemory));
        info.Field("used_memory_peak_perc", Percent(used, s.PeakMemory));
        info.Field("used_memory_overhead", overhead);
        info.Field("used_memory_startup", s.StartupMemory);
        info.Field("used_memory_dataset", dataset);
        info.Field("used_memory_dataset_perc", Percent(dataset, netOfStartup));
        info.Field("allocator_allocated", allocated);
        info.Field("allocator_active", active);
        info.Field("allocator_resident", resident);
        info.Field("total_system_memory", totalSystem);
        info.Field("total_system_memory_human", Human(totalSystem));
        long lua = s.Counter("used_memory_lua");
        long vmFunctions = s.Counter("used_memory_vm_functions");
        long scripts = s.Counter("used_memory_scripts");
        info.Field("used_memory_lua", lua);
        info.Field("used_memory_vm_eval", lua);
        info.Field("used_memory_lua_human", Human(lua));
        info.Field("used_memory_scripts_eval", s.Counter("used_memory_scripts_eval"));
        info.Field("number_of_cached_scripts", s.Counter("number_of_cached_scripts"));
        info.Field("number_of_functions", s.Counter("number_of_functions"));
        info.Field("number_of_libraries", s.Counter("number_of_libraries"));
        info.Field("used_memory_vm_functions", vmFunctions);
        info.Field("used_memory_vm_total", lua + vmFunctions);
        info.Field("used_memory_vm_total_human", Human(lua + vmFunctions));
        info.Field("used_memory_functions", s.Counter("used_memory_functions"));
        info.Field("used_memory_scripts", scripts);
        info.Field("used_memory_scripts_human", Human(scripts));
        info.Field("maxmemory", s.Config.MaxMemory.ToString(CultureInfo.InvariantCulture));
        info.Field("maxmemory_human", Human(s.Config.MaxMemory));
        info.Field("maxmemory_policy", policy);
        info.Field("allocator_frag_ratio", Ratio(active, allocated));
        info.Field("allocator_frag_bytes", active - allocated);
        info.Field("allocator_rss_ratio", Ratio(resident, active));
        info.Field("allocator_rss_bytes", resident - active);
        info.Field("rss_overhead_ratio", Ratio(rss, resident));
        info.Field("rss_overhead_bytes", rss - resident);
        info.Field("mem_fragmentation_ratio", Ratio(rss, used));
        info.Field("mem_fragmentation_bytes", rss - used);
        info.Field("mem_not_counted_for_evict", s.Counter("mem_not_counted_for_evict"));
        info.Field("mem_replication_backlog", backlog);
        info.Field("mem_total_replication_buffers", s.Counter("mem_total_replication_buffers"));
        info.Field("mem_clients_slaves", clientsReplicas);
        info.Field("mem_clients_normal", clientsNormal);
        info.Field("mem_cluster_links", 0);
        info.Field("mem_aof_buffer", s.Counter("mem_aof_buffer"));
        info.Field("mem_allocator", RedisServer.Allocator);
        info.Field("active_defrag_running", 0);
        info.Field("lazyfree_pending_objects", s.Counter("lazyfree_pending_objects"));
        info.Field("lazyfreed_objects", s.Counter("lazyfreed_objects"));
    }

    static long TotalSystemMemory()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
                if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException) { }
        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }

    static void Persistence(RedisServer s, InfoWriter info)
    {
        var p = s.Persistence;
        info.Section("Persistence");
        info.Field("loading", p.Loading ? 1 : 0);
        info.Field("async_loading", 0);
        // The fork-free snapshot's extra memory plays the part of Redis's copy-on-write size.
        var snapshot = p.ActiveSnapshot;
        info.Field("current_cow_peak", p.CurrentCowPeak);
        info.Field("current_cow_size", p.CurrentCowSize);
        info.Field("current_cow_size_age", snapshot == null ? 0 : (Common.Clock.UnixMs() - snapshot.StartedUnixMs) / 1000);
        long processed = snapshot == null ? 0 : Interlocked.Read(ref snapshot.KeysWritten), total = snapshot?.KeysTotal ?? 0;
        info.Field("current_fork_perc", total == 0 ? "0.00" : (100.0 * processed / total).ToString("F2", System.Globalization.CultureInfo.InvariantCulture));
        info.Field("current_save_keys_processed", processed);
        info.Field("current_save_keys_total", total);
        info.Field("rdb_changes_since_last_save", p.ChangesSinceLastSave);
        info.Field("rdb_bgsave_in_progress", p.BgsaveInProgress ? 1 : 0);
        info.Field("rdb_last_save_time", p.LastSaveUnix);
        info.Field("rdb_last_bgsave_status", p.LastBgsaveOk ? "ok" : "err");
        info.Field("rdb_last_bgsave_time_sec", p.LastBgsaveTimeSec);
        info.Field("rdb_current_bgsave_time_sec", p.CurrentBgsaveTimeSec);
        info.Field("rdb_saves", p.RdbSaves);
        info.Field("rdb_last_cow_size", p.LastCowSize);
        info.Field("rdb_last_load_keys_expired", p.LastLoadKeysExpired);
        info.Field("rdb_last_load_keys_loaded", p.LastLoadKeysLoaded);
        // csredis has no append-only file: these report that truthfully.
        info.Field("aof_enabled", 0);
        info.Field("aof_rewrite_in_progress", 0);
        info.Field("aof_rewrite_scheduled", 0);
        info.Field("aof_last_rewrite_time_sec", -1);
        info.Field("aof_current_rewrite_time_sec", -1);
        info.Field("aof_last_bgrewrite_status", "ok");
        info.Field("aof_rewrites", 0);
        info.Field("aof_rewrites_consecutive_failures", 0);
        info.Field("aof_last_write_status", "ok");
        info.Field("aof_last_cow_size", 0);
        info.Field("module_fork_in_progress", 0);
        info.Field("module_fork_last_cow_size", 0);
    }

    static void Stats(RedisServer s, InfoWriter info)
    {
        var st = s.Stats;
        info.Section("Stats");
        info.Field("total_connections_received", st.ConnectionsReceived);
        info.Field("total_commands_processed", st.CommandsProcessed);
        info.Field("instantaneous_ops_per_sec", st.OpsPerSec.Average());
        info.Field("total_net_input_bytes", st.NetInputBytes);
        info.Field("total_net_output_bytes", st.NetOutputBytes);
        info.Field("total_net_repl_input_bytes", s.Counter("total_net_repl_input_bytes"));
        info.Field("total_net_repl_output_bytes", s.Counter("total_net_repl_output_bytes"));
        info.Field("instantaneous_input_kbps", Fixed2(st.InputKbps.Average() / 1024.0));
        info.Field("instantaneous_output_kbps", Fixed2(st.OutputKbps.Average() / 1024.0));
        info.Field("instantaneous_input_repl_kbps", Fixed2(s.Counter("instantaneous_input_repl_bps") / 1024.0));
        info.Field("instantaneous_output_repl_kbps", Fixed2(s.Counter("instantaneous_output_repl_bps") / 1024.0));
        info.Field("rejected_connections", st.RejectedConnections);
        info.Field("sync_full", s.Counter("sync_full"));
        info.Field("sync_partial_ok", s.Counter("sync_partial_ok"));
        info.Field("sync_partial_err", s.Counter("sync_partial_err"));
        info.Field("expired_keys", st.ExpiredKeys);
        info.Field("expired_stale_perc", Fixed2(st.ExpiredStalePerc));
        info.Field("expired_time_cap_reached_count", st.ExpiredTimeCapReachedCount);
        info.Field("expire_cycle_cpu_milliseconds", st.ExpireCycleCpuMilliseconds);
        info.Field("evicted_keys", st.EvictedKeys);
        info.Field("evicted_clients", s.Counter("evicted_clients"));
        info.Field("total_eviction_exceeded_time", s.Counter("total_eviction_exceeded_time"));
        info.Field("current_eviction_exceeded_time", s.Counter("current_eviction_exceeded_time"));
        info.Field("keyspace_hits", st.KeyspaceHits);
        info.Field("keyspace_misses", st.KeyspaceMisses);
        info.Field("pubsub_channels", s.Counter("pubsub_channels"));
        info.Field("pubsub_patterns", s.Counter("pubsub_patterns"));
        info.Field("pubsubshard_channels", s.Counter("pubsubshard_channels"));
        info.Field("latest_fork_usec", 0); // snapshots never fork
        info.Field("total_forks", 0);
        info.Field("migrate_cached_sockets", s.Counter("migrate_cached_sockets"));
        info.Field("slave_expires_tracked_keys", s.Counter("slave_expires_tracked_keys"));
        info.Field("active_defrag_hits", 0);
        info.Field("active_defrag_misses", 0);
        info.Field("active_defrag_key_hits", 0);
        info.Field("active_defrag_key_misses", 0);
        info.Field("total_active_defrag_time", 0);
        info.Field("current_active_defrag_time", 0);
        info.Field("tracking_total_keys", s.Counter("tracking_total_keys"));
        info.Field("tracking_total_items", s.Counter("tracking_total_items"));
        info.Field("tracking_total_prefixes", s.Counter("tracking_total_prefixes"));
        info.Field("unexpected_error_replies", st.UnexpectedErrorReplies);
        info.Field("total_error_replies", st.TotalErrorReplies);
        info.Field("dump_payload_sanitizations", s.Counter("dump_payload_sanitizations"));
        info.Field("total_reads_processed", st.ReadsProcessed);
        info.Field("total_writes_processed", st.WritesProcessed);
        info.Field("io_threaded_reads_processed", 0);
        info.Field("io_threaded_writes_processed", 0);
        info.Field("reply_buffer_shrinks", st.ReplyBufferShrinks);
        info.Field("reply_buffer_expands", st.ReplyBufferExpands);
    }

    static void Replication(RedisServer s, InfoWriter info)
    {
        long backlogSize = long.Parse(s.Config.Registry.Find("repl-backlog-size")!.Get(), CultureInfo.InvariantCulture);
        info.Section("Replication");
        info.Field("role", s.IsReplica ? "slave" : "master");
        if (s.IsReplica) s.ReplicaLink.WriteInfo(info);
        s.Replication.WriteReplicaInfo(info);
        info.Field("master_failover_state", s.Failover.StateName);
        info.Field("master_replid", s.ReplId);
        info.Field("master_replid2", s.ReplId2);
        info.Field("master_repl_offset", s.MasterReplOffset);
        info.Field("second_repl_offset", s.SecondReplOffset);
        info.Field("repl_backlog_active", s.Counter("repl_backlog_active"));
        info.Field("repl_backlog_size", backlogSize);
        info.Field("repl_backlog_first_byte_offset", s.Counter("repl_backlog_first_byte_offset"));
        info.Field("repl_backlog_histlen", s.Counter("repl_backlog_histlen"));
    }

    static void Cpu(InfoWriter info)
    {
        var self = Libc.CpuTimes(Libc.RUSAGE_SELF);
        var children = Libc.CpuTimes(Libc.RUSAGE_CHILDREN);
        // INFO runs on the event-loop thread, so RUSAGE_THREAD measures the main thread.
        var main = Libc.CpuTimes(Libc.RUSAGE_THREAD);
        info.Section("CPU");
        info.Field("used_cpu_sys", Fixed6(self.System));
        info.Field("used_cpu_user", Fixed6(self.User));
        info.Field("used_cpu_sys_children", Fixed6(children.System));
        info.Field("used_cpu_user_children", Fixed6(children.User));
        info.Field("used_cpu_sys_main_thread", Fixed6(main.System));
        info.Field("used_cpu_user_main_thread", Fixed6(main.User));
    }

    static IEnumerable<Command> CommandsWithSubcommands(RedisServer s)
    {
        foreach (var cmd in s.Commands.Callable)
        {
            yield return cmd;
            if (cmd.Subcommands != null) foreach (var sub in cmd.Subcommands.Values) yield return sub;
        }
    }

    static void CommandStats(RedisServer s, InfoWriter info)
    {
        info.Section("Commandstats");
        foreach (var cmd in CommandsWithSubcommands(s))
        {
            if (cmd.Calls == 0 && cmd.FailedCalls == 0 && cmd.RejectedCalls == 0) continue;
            double perCall = cmd.Calls == 0 ? 0 : (double)cmd.Microseconds / cmd.Calls;
            info.Field("cmdstat_" + cmd.FullName,
                $"calls={cmd.Calls},usec={cmd.Microseconds},usec_per_call={Fixed2(perCall)},rejected_calls={cmd.RejectedCalls},failed_calls={cmd.FailedCalls}");
        }
    }

    static void ErrorStats(RedisServer s, InfoWriter info)
    {
        info.Section("Errorstats");
        var names = s.Stats.ErrorCounts.Keys.ToArray();
        Array.Sort(names, StringComparer.Ordinal);
        foreach (var name in names) info.Field("errorstat_" + name, "count=" + s.Stats.ErrorCounts[name]);
    }

    static void LatencyStats(RedisServer s, InfoWriter info)
    {
        info.Section("Latencystats");
        var percentiles = s.Config.Registry.Find("latency-tracking-info-percentiles")!.Get()
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (s.Config.Registry.Find("latency-tracking")!.Get() != "yes" || percentiles.Length == 0) return;
        foreach (var cmd in CommandsWithSubcommands(s))
        {
            if (cmd.Latency.Count == 0) continue;
            var parts = new List<string>();
            foreach (var p in percentiles)
            {
                double percentile = double.Parse(p, CultureInfo.InvariantCulture);
                parts.Add($"p{p}={cmd.Latency.ValueAtPercentile(percentile).ToString("0.000", CultureInfo.InvariantCulture)}");
            }
            info.Field("latency_percentiles_usec_" + cmd.FullName, string.Join(',', parts));
        }
    }

    static void Keyspace(RedisServer s, InfoWriter info)
    {
        info.Section("Keyspace");
        foreach (var db in s.Databases)
        {
            if (db.Count == 0) continue;
            info.Field("db" + db.Id, $"keys={db.Count},expires={db.Expires.Count},avg_ttl={db.AverageTtl}");
        }
    }

    /// <summary>Redis's bytesToHuman: B, then K/M/G/T/P with two decimals; from 1024P on, bytes again.</summary>
    public static string Human(long bytes) => bytes < 0 ? bytes.ToString(CultureInfo.InvariantCulture) + "B" : Human((ulong)bytes);

    public static string Human(ulong bytes)
    {
        if (bytes < 1024) return bytes.ToString(CultureInfo.InvariantCulture) + "B";
        string[] units = ["K", "M", "G", "T", "P"];
        double scale = 1024;
        for (int unit = 0; unit < units.Length; unit++, scale *= 1024)
            if (bytes < scale * 1024) return (bytes / scale).ToString("0.00", CultureInfo.InvariantCulture) + units[unit];
        return bytes.ToString(CultureInfo.InvariantCulture) + "B";
    }

    static string Fixed2(double v) => v.ToString("0.00", CultureInfo.InvariantCulture);
    static string Fixed6(double v) => v.ToString("0.000000", CultureInfo.InvariantCulture);
    static string Ratio(long a, long b) => Fixed2(b == 0 ? 0 : (double)a / b);
    static string Percent(long part, long whole) => Fixed2(whole <= 0 ? 0 : part * 100.0 / whole) + "%";
}

/// <summary>Builds INFO text: "# Section" headers, "name:value" lines, CRLF, a blank line between sections.</summary>
public sealed class InfoWriter
{
    readonly StringBuilder _text = new();
    int _sections;

    public void Section(string title)
    {
        if (_sections++ > 0) _text.Append("\r\n");
        _text.Append("# ").Append(title).Append("\r\n");
    }

    public void Field(string name, string value) => _text.Append(name).Append(':').Append(value).Append("\r\n");
    public void Field(string name, long value) => Field(name, value.ToString(CultureInfo.InvariantCulture));

    public override string ToString() => _text.ToString();
}
