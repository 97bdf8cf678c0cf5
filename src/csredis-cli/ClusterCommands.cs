// The cluster manager's subcommands: create (slot allocation, replica assignment with anti-affinity,
// epochs, MEET, join), check / info / fix, reshard and rebalance (planned slot moves), add-node and
// del-node, call (one command on every node), set-timeout, import (keys from a standalone instance) and
// backup (an RDB of every master plus nodes.json). Each returns false when redis-cli exits with 1.
using System.Buffers;
using System.Globalization;
using System.Net;
using System.Text;
using Csredis.Common.Client;
using Csredis.Common.Cluster;

namespace Csredis.Cli;

public sealed partial class ClusterManager
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    private bool Info(string[] args)
    {
        if (!HostFromArguments(args, out string ip, out int port)) return InvalidArguments();
        if (!LoadInfoFromNode(new ClusterNode(ip, port))) return false;
        ShowClusterInfo();
        return true;
    }

    private bool Check(string[] args)
    {
        if (!HostFromArguments(args, out string ip, out int port)) return InvalidArguments();
        if (!LoadInfoFromNode(new ClusterNode(ip, port))) return false;
        ShowClusterInfo();
        return CheckCluster(quiet: false);
    }

    private bool FixCommand(string[] args)
    {
        options.Fix = true;
        return Check(args);
    }

    // --- create ---------------------------------------------------------------------------------------

    private bool Create(string[] args)
    {
        nodes = [];
        foreach (var address in args)
        {
            if (!ParseNodeAddress(address, out string ip, out int port, out _))
            {
                Stdio.Error($"Invalid address format: {address}\n");
                return false;
            }
            var node = new ClusterNode(ip, port);
            if (!ConnectNode(node)) return false;
            string? error;
            if (!NodeIsCluster(node, out error))
            {
                PrintNotClusterNodeError(node, error);
                node.Connection?.Dispose();
                return false;
            }
            if (!LoadNodeInfo(node, getFriends: false, out error))
            {
                if (error is not null) PrintReplyError(node, error);
                node.Connection?.Dispose();
                return false;
            }
            if (!NodeIsEmpty(node, out error))
            {
                PrintNotEmptyNodeError(node, error);
                node.Connection?.Dispose();
                return false;
            }
            nodes.Add(node);
        }
        int nodeCount = nodes.Count, replicas = options.Replicas;
        int mastersCount = nodeCount / (replicas + 1);
        if (mastersCount < 3)
        {
            LogError("*** ERROR: Invalid configuration for cluster creation.\n*** Redis Cluster requires at least 3 master nodes.\n" +
                     $"*** This is not possible with {nodeCount} nodes and {replicas} replicas per node.");
            LogError($"\n*** At least {3 * (replicas + 1)} nodes are required.\n");
            return false;
        }
        LogInfo($">>> Performing hash slots allocation on {nodeCount} nodes...\n");

        // Interleave the hosts (one node of each IP in turn) so masters spread over machines.
        var ips = new List<string>();
        var byIp = new List<Queue<ClusterNode>>();
        var ipGroups = new List<List<ClusterNode>>();
        foreach (var n in nodes)
        {
            int index = ips.IndexOf(n.Ip);
            if (index < 0)
            {
                ips.Add(n.Ip);
                byIp.Add(new Queue<ClusterNode>());
                ipGroups.Add([]);
                index = ips.Count - 1;
            }
            byIp[index].Enqueue(n);
            ipGroups[index].Add(n);
        }
        var interleaved = new List<ClusterNode>();
        while (interleaved.Count < nodeCount)
            foreach (var queue in byIp)
                if (queue.Count > 0) interleaved.Add(queue.Dequeue());
        var masters = interleaved.Take(mastersCount).ToList();
        var candidates = interleaved.Skip(mastersCount).Cast<ClusterNode?>().ToList();

        float slotsPerNode = HashSlot.SlotCount / (float)mastersCount;
        long first = 0;
        float cursor = 0f;
        for (int i = 0; i < mastersCount; i++)
        {
            var master = masters[i];
            long last = (long)Math.Round((double)(cursor + slotsPerNode - 1), MidpointRounding.AwayFromZero);
            if (last > HashSlot.SlotCount || i == mastersCount - 1) last = HashSlot.SlotCount - 1;
            if (last < first) last = first;
            Print($"Master[{i}] -> Slots {first} - {last}\n");
            master.SlotsCount = 0;
            for (long j = first; j <= last; j++)
            {
                master.Slots[j] = true;
                master.SlotsCount++;
            }
            master.Dirty = true;
            first = last + 1;
            cursor += slotsPerNode;
        }

        // Rotating the candidates often gives a better starting point for the anti-affinity pass.
        if (candidates.Count > 0)
        {
            var head = candidates[0];
            candidates.RemoveAt(0);
            candidates.Add(head);
        }
        int start = 0, available = candidates.Count;
        bool assignUnused = false;
        while (true)
        {
            foreach (var master in masters)
            {
                int assigned = 0;
                while (assigned < replicas)
                {
                    if (available == 0) break;
                    ClusterNode? replica = null;
                    int firstSameHost = -1;
                    for (int j = start; j < candidates.Count; j++)
                    {
                        var n = candidates[j];
                        if (n is null) continue;
                        if (n.Ip != master.Ip)
                        {
                            replica = n;
                            candidates[j] = null;
                            break;
                        }
                        if (firstSameHost < 0) firstSameHost = j;
                    }
                    if (replica is null && firstSameHost >= 0)
                    {
                        replica = candidates[firstSameHost];
                        start = firstSameHost + 1;
                    }
                    if (replica is null) break;
                    assigned++;
                    available--;
                    replica.Replicate = master.Name;
                    replica.Dirty = true;
                    Print($"Adding replica {replica.Ip}:{replica.Port} to {master.Ip}:{master.Port}\n");
                    if (assignUnused) break;
                }
            }
            if (assignUnused || available == 0) break;
            assignUnused = true;
            Print("Adding extra replicas...\n");
        }
        OptimizeAntiAffinity(ipGroups);
        ShowNodes();
        if (!ConfirmWithYes("Can I set the above configuration?")) return true;

        foreach (var node in nodes)
        {
            bool flushed = FlushNodeConfig(node, out string? error);
            if (!flushed && node.Dirty && node.Replicate is null)
            {
                if (error is not null) PrintReplyError(node, error);
                return false;
            }
        }
        LogInfo(">>> Nodes configuration updated\n");
        LogInfo(">>> Assign a different config epoch to each node\n");
        int configEpoch = 1;
        foreach (var node in nodes) Command(node, "cluster", "set-config-epoch", (configEpoch++).ToString(Invariant));
        LogInfo(">>> Sending CLUSTER MEET messages to join the cluster\n");
        var firstNode = nodes[0];
        if (ResolveIp(firstNode.Ip) is not { } firstIp)
        {
            Stdio.Error($"Invalid IP address or hostname specified: {firstNode.Ip}\n");
            return false;
        }
        foreach (var node in nodes.Skip(1))
        {
            var reply = MeetCommand(node, firstNode, firstIp, lowercase: true);
            if (reply is null)
            {
                Stdio.Error("Failed to send CLUSTER MEET command.\n");
                return false;
            }
            if (reply.IsError)
            {
                PrintReplyError(node, reply.AsText());
                return false;
            }
        }
        // Give the join a second to start, so the wait does not see empty nodes that trivially agree.
        Thread.Sleep(1000);
        WaitForClusterJoin();
        foreach (var node in nodes)
        {
            if (!node.Dirty) continue;
            bool flushed = FlushNodeConfig(node, out string? error);
            if (!flushed && node.Replicate is null)
            {
                if (error is not null) PrintReplyError(node, error);
                return false;
            }
        }
        foreach (var node in nodes.Skip(1)) node.Connection?.Dispose();
        nodes = [firstNode];
        if (!LoadInfoFromNode(firstNode)) return false;
        CheckCluster(quiet: false);
        return true;
    }

    /// <summary>CLUSTER MEET with the bus port only when it is not the classic port + 10000.</summary>
    private static RespValue? MeetCommand(ClusterNode node, ClusterNode target, string targetIp, bool lowercase)
    {
        string cluster = lowercase ? "cluster" : "CLUSTER", meet = lowercase ? "meet" : "MEET";
        return target.BusPort == 0 || target.BusPort == target.Port + 10000
            ? Command(node, cluster, meet, targetIp, target.Port.ToString(Invariant))
            : Command(node, cluster, meet, targetIp, target.Port.ToString(Invariant), target.BusPort.ToString(Invariant));
    }

    /// <summary>CLUSTER MEET needs an IP address: a host name is resolved first.</summary>
    private static string? ResolveIp(string host)
    {
        if (IPAddress.TryParse(host, out var literal)) return literal.ToString();
        try { return Dns.GetHostAddresses(host).FirstOrDefault()?.ToString(); }
        catch (System.Net.Sockets.SocketException) { return null; }
    }

    /// <summary>Sends a node's planned configuration: CLUSTER REPLICATE for a replica (left dirty on error:
    /// before the join it may not know its master yet), CLUSTER ADDSLOTS for a master.</summary>
    private static bool FlushNodeConfig(ClusterNode node, out string? error)
    {
        error = null;
        if (!node.Dirty) return false;
        bool success;
        if (node.Replicate is not null)
        {
            var reply = Command(node, "CLUSTER", "REPLICATE", node.Replicate);
            if (reply is null || reply.IsError)
            {
                if (reply is not null) error = reply.AsText();
                return false;
            }
            success = true;
        }
        else
        {
            var argv = new List<byte[]> { "CLUSTER"u8.ToArray(), "ADDSLOTS"u8.ToArray() };
            for (int i = 0; i < HashSlot.SlotCount; i++)
                if (node.Slots[i]) argv.Add(Encoding.ASCII.GetBytes(i.ToString(Invariant)));
            var reply = Command(node, argv);
            success = reply is { IsError: false };
            if (reply is { IsError: true }) error = reply.AsText();
        }
        node.Dirty = false;
        return success;
    }

    /// <summary>The score redis-cli minimises: 10000 per replica on its master's host, 1 per replica
    /// sharing a host with another replica of the same master. Offenders collects one replica per
    /// violating group, groups taken in the order of redis-cli's dict of master IDs.</summary>
    private int AntiAffinityScore(List<List<ClusterNode>> ipGroups, List<ClusterNode>? offenders)
    {
        int score = 0;
        foreach (var group in ipGroups)
        {
            string ip = group[0].Ip;
            var order = new RedisDictOrder();
            var types = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var node in group)
            {
                string key = node.Replicate ?? node.Name ?? "";
                order.Find();
                if (!types.TryGetValue(key, out string? existing))
                {
                    order.Add(key);
                    existing = "";
                }
                // redis-cli appends "m" + the old text for a master (sdscatprintf onto itself), "s" for a replica.
                types[key] = node.Replicate is null ? existing + "m" + existing : existing + "s";
                order.Add(key);
            }
            foreach (var name in order.IterationOrder())
            {
                string kinds = types[name];
                if (kinds.Length < 2) continue;
                score += kinds[0] == 'm' ? 10000 * (kinds.Length - 1) : kinds.Length;
                if (offenders is null) continue;
                var offender = nodes.FirstOrDefault(n => n.Replicate == name && n.Ip == ip);
                if (offender is not null) offenders.Add(offender);
            }
        }
        return score;
    }

    /// <summary>Random swaps of replicas' masters (srand(time(NULL)) + rand(), as redis-cli draws them),
    /// kept unless they make the score worse, for a bounded number of rounds (500 per node) or until the
    /// score reaches zero.</summary>
    private void OptimizeAntiAffinity(List<List<ClusterNode>> ipGroups)
    {
        int score = AntiAffinityScore(ipGroups, null);
        if (score == 0) return;
        LogInfo(">>> Trying to optimize slaves allocation for anti-affinity\n");
        int maxIterations = 500 * nodes.Count;
        var random = GlibcRandom.SeededWithTime();
        while (maxIterations > 0)
        {
            var offenders = new List<ClusterNode>();
            score = AntiAffinityScore(ipGroups, offenders);
            if (score == 0 || offenders.Count == 0) break;
            var first = offenders[random.Next() % offenders.Count];
            var others = nodes.Where(n => n != first && n.Replicate is not null).ToList();
            if (others.Count == 0) break;
            var second = others[random.Next() % others.Count];
            (first.Replicate, second.Replicate) = (second.Replicate, first.Replicate);
            first.Dirty = second.Dirty = true;
            if (AntiAffinityScore(ipGroups, null) > score) (first.Replicate, second.Replicate) = (second.Replicate, first.Replicate);
            maxIterations--;
        }
        score = AntiAffinityScore(ipGroups, null);
        if (score == 0) LogOk("[OK] Perfect anti-affinity obtained!\n");
        else if (score >= 10000) LogWarn("[WARNING] Some slaves are in the same host as their master\n");
        else LogWarn("[WARNING] Some slaves of the same master are in the same host\n");
    }

    // --- add-node / del-node ----------------------------------------------------------------------------

    private bool AddNode(string[] args)
    {
        if (!HostFromArguments(args.AsSpan(1), out string refIp, out int refPort)) return InvalidArguments();
        if (!HostFromArguments(args.AsSpan(0, 1), out string ip, out int port)) return InvalidArguments();
        LogInfo($">>> Adding node {ip}:{port} to cluster {refIp}:{refPort}\n");
        var refNode = new ClusterNode(refIp, refPort);
        if (!LoadInfoFromNode(refNode)) return false;
        if (!CheckCluster(quiet: false)) return false;

        ClusterNode? master = null;
        if (options.AsReplica)
        {
            if (options.MasterId is { } masterId)
            {
                master = NodeByName(masterId);
                if (master is null)
                {
                    LogError($"[ERR] No such master ID {masterId}\n");
                    return false;
                }
            }
            else
            {
                master = NodeWithLeastReplicas()!;
                Print($"Automatically selected master {master.Ip}:{master.Port}\n");
            }
        }

        var newNode = new ClusterNode(ip, port);
        if (!ConnectNode(newNode))
        {
            LogError($"[ERR] Sorry, can't connect to node {ip}:{port}\n");
            return false;
        }
        string? error;
        if (!NodeIsCluster(newNode, out error))
        {
            PrintNotClusterNodeError(newNode, error);
            newNode.Connection?.Dispose();
            return false;
        }
        if (!LoadNodeInfo(newNode, getFriends: false, out error))
        {
            if (error is not null) PrintReplyError(newNode, error);
            newNode.Connection?.Dispose();
            return false;
        }
        if (!NodeIsEmpty(newNode, out error))
        {
            PrintNotEmptyNodeError(newNode, error);
            newNode.Connection?.Dispose();
            return false;
        }
        var firstNode = nodes[0];
        nodes.Add(newNode);

        if (master is null)
        {
            // A new master gets the cluster's functions (a replica gets them from its master).
            LogInfo(">>> Getting functions from cluster\n");
            var dump = Command(refNode, "FUNCTION", "DUMP");
            if (!CheckReply(refNode, dump, out error))
                LogInfo($">>> Failed retrieving Functions from the cluster, skip this step as Redis version do not support function command (error = '{error ?? "NULL reply"}')\n");
            else
            {
                LogInfo($">>> Send FUNCTION LIST to {ip}:{port} to verify there is no functions in it\n");
                var list = Command(newNode, "FUNCTION", "LIST");
                if (!CheckReply(newNode, list, out error))
                {
                    LogError($">>> Failed on CLUSTER LIST (error = '{error ?? "NULL reply"}')\r\n");
                    return false;
                }
                if (list!.Elements.Length > 0)
                {
                    LogError(">>> New node already contains functions and can not be added to the cluster. Use FUNCTION FLUSH and try again.\r\n");
                    return false;
                }
                LogInfo($">>> Send FUNCTION RESTORE to {ip}:{port}\n");
                var restore = Command(newNode, ["FUNCTION"u8.ToArray(), "RESTORE"u8.ToArray(), dump!.Bytes]);
                if (!CheckReply(newNode, restore, out error))
                {
                    LogError($">>> Failed loading functions to the new node (error = '{error ?? "NULL reply"}')\r\n");
                    return false;
                }
            }
        }

        LogInfo($">>> Send CLUSTER MEET to node {ip}:{port} to make it join the cluster.\n");
        if (ResolveIp(firstNode.Ip) is not { } firstIp)
        {
            Stdio.Error($"Invalid IP address or hostname specified: {firstNode.Ip}\n");
            return false;
        }
        if (!CheckReply(newNode, MeetCommand(newNode, firstNode, firstIp, lowercase: false))) return false;
        if (master is not null)
        {
            Thread.Sleep(1000);
            WaitForClusterJoin();
            LogInfo($">>> Configure node as replica of {master.Ip}:{master.Port}.\n");
            if (!CheckReply(newNode, Command(newNode, "CLUSTER", "REPLICATE", master.Name ?? ""))) return false;
        }
        LogOk("[OK] New node added correctly.\n");
        return true;
    }

    private bool DeleteNode(string[] args)
    {
        if (!HostFromArguments(args.AsSpan(0, 1), out string ip, out int port)) return InvalidArguments();
        string nodeId = args[1];
        LogInfo($">>> Removing node {nodeId} from cluster {ip}:{port}\n");
        if (!LoadInfoFromNode(new ClusterNode(ip, port))) return false;
        var node = NodeByName(nodeId);
        if (node is null)
        {
            LogError($"[ERR] No such node ID {nodeId}\n");
            return false;
        }
        if (node.SlotsCount != 0)
        {
            LogError($"[ERR] Node {node.Ip}:{node.Port} is not empty! Reshard data away and try again.\n");
            return false;
        }
        LogInfo(">>> Sending CLUSTER FORGET messages to the cluster...\n");
        foreach (var n in nodes)
        {
            if (n == node) continue;
            if (n.Replicate is not null && n.Replicate.Equals(nodeId, StringComparison.OrdinalIgnoreCase))
            {
                var master = NodeWithLeastReplicas()!;
                LogInfo($">>> {n.Ip}:{n.Port} as replica of {master.Ip}:{master.Port}\n");
                if (!CheckReply(n, Command(n, "CLUSTER", "REPLICATE", master.Name ?? ""))) return false;
            }
            if (!CheckReply(n, Command(n, "CLUSTER", "FORGET", nodeId))) return false;
        }
        LogInfo(">>> Sending CLUSTER RESET SOFT to the deleted node.\n");
        return CheckReply(node, Command(node, "CLUSTER", "RESET", "SOFT"));
    }

    // --- reshard ----------------------------------------------------------------------------------------

    /// <summary>A master given by ID for resharding; null (and raiseError) when unknown, a replica, or the
    /// target itself.</summary>
    private ClusterNode? NodeForResharding(string id, ClusterNode? target, out bool raiseError)
    {
        raiseError = false;
        var node = NodeByName(id);
        if (node is null || node.IsReplica)
        {
            LogError($"*** The specified node ({id}) is not known or not a master, please retry.\n");
            raiseError = true;
            return null;
        }
        if (target is not null && node.Name == target.Name)
        {
            LogError("*** It is not possible to use the target node as source node.\n");
            return null;
        }
        return node;
    }

    /// <summary>Which slots go: each source gives a share proportional to its slots (the biggest rounded
    /// up, the others down), taking its lowest-numbered slots, never more than asked in total.</summary>
    private static List<(ClusterNode Source, int Slot)> ReshardTable(List<ClusterNode> sources, int slotCount)
    {
        var moved = new List<(ClusterNode, int)>();
        int totalSlots = sources.Sum(s => s.SlotsCount);
        var sorted = sources.OrderByDescending(s => s.SlotsCount).ToList();
        for (int i = 0; i < sorted.Count; i++)
        {
            var node = sorted[i];
            float share = (float)slotCount / totalSlots * node.SlotsCount;
            share = i == 0 ? MathF.Ceiling(share) : MathF.Floor(share);
            int max = (int)share, count = 0;
            for (int slot = 0; slot < HashSlot.SlotCount; slot++)
            {
                if (!node.Slots[slot]) continue;
                if (count >= max || moved.Count >= slotCount) break;
                moved.Add((node, slot));
                count++;
            }
        }
        return moved;
    }

    /// <summary>A line typed at a reshard prompt: one read(2) of up to max bytes, the rest of the line dropped.</summary>
    private static string? ReadAnswer(int max)
    {
        var bytes = ReadStdin(max);
        if (bytes.Length == 0) return null;
        if (bytes[^1] != '\n')
        {
            while (true)
            {
                var one = ReadStdin(1);
                if (one.Length == 0 || one[0] == '\n') break;
            }
        }
        return Encoding.UTF8.GetString(bytes, 0, bytes.Length - 1);
    }

    private bool Reshard(string[] args)
    {
        if (!HostFromArguments(args, out string ip, out int port)) return InvalidArguments();
        if (!LoadInfoFromNode(new ClusterNode(ip, port))) return false;
        CheckCluster(quiet: false);
        if (errors.Count > 0)
        {
            Stdio.Error("*** Please fix your cluster problems before resharding\n");
            return false;
        }
        int slots = options.Slots;
        if (slots == 0)
        {
            while (slots <= 0 || slots > HashSlot.SlotCount)
            {
                Print($"How many slots do you want to move (from 1 to {HashSlot.SlotCount})? ");
                if (ReadAnswer(6) is not { } answer) continue;
                slots = (int)CParse.Atoi(answer);
            }
        }
        string? to = options.To, from = options.From;
        while (to is null)
        {
            Print("What is the receiving node ID? ");
            if (ReadAnswer(255) is { Length: > 0 } answer) to = answer;
        }
        var target = NodeForResharding(to, null, out bool raiseError);
        if (target is null) return false;
        var sources = new List<ClusterNode>();
        bool all = false;
        if (from is null)
        {
            Print("Please enter all the source node IDs.\n  Type 'all' to use all the nodes as source nodes for the hash slots.\n" +
                  "  Type 'done' once you entered all the source nodes IDs.\n");
            while (true)
            {
                Print($"Source node #{sources.Count + 1}: ");
                if (ReadAnswer(255) is not { } answer) continue;
                if (answer == "done") break;
                if (answer == "all")
                {
                    all = true;
                    break;
                }
                var source = NodeForResharding(answer, target, out raiseError);
                if (source is not null) sources.Add(source);
                else if (raiseError) return false;
            }
        }
        else
        {
            foreach (var id in from.Split(','))
            {
                if (id == "all")
                {
                    all = true;
                    break;
                }
                if (id.Length == 0) continue;
                var source = NodeForResharding(id, target, out raiseError);
                if (source is not null) sources.Add(source);
                else if (raiseError) return false;
            }
        }
        if (all) sources = nodes.Where(n => !n.IsReplica && n.Replicate is null && n.Name != target.Name).ToList();
        if (sources.Count == 0)
        {
            Stdio.Error("*** No source nodes given, operation aborted.\n");
            return false;
        }
        Print($"\nReady to move {slots} slots.\n  Source nodes:\n");
        foreach (var source in sources) Print(NodeDescription(source, 4) + "\n");
        Print("  Destination node:\n" + NodeDescription(target, 4) + "\n");
        var table = ReshardTable(sources, slots);
        Print("  Resharding plan:\n");
        foreach (var (source, slot) in table) Print($"    Moving slot {slot} from {source.Name}\n");
        if (!options.Yes)
        {
            Print("Do you want to proceed with the proposed reshard plan (yes/no)? ");
            var answer = ReadStdin(4);
            if (answer.Length < 3 || !answer.AsSpan(0, 3).SequenceEqual("yes"u8)) return false;
        }
        foreach (var (source, slot) in table)
        {
            if (MoveSlot(source, target, slot, MoveOptions.Verbose, out string? error)) continue;
            if (error is not null) LogError($"clusterManagerMoveSlot failed: {error}\n");
            return false;
        }
        return true;
    }

    // --- rebalance --------------------------------------------------------------------------------------

    private bool Rebalance(string[] args)
    {
        if (!HostFromArguments(args, out string ip, out int port)) return InvalidArguments();
        if (!LoadInfoFromNode(new ClusterNode(ip, port))) return false;
        foreach (var weight in options.Weights ?? [])
        {
            int eq = weight.IndexOf('=');
            if (eq < 0)
            {
                LogError($"*** invalid input {weight}\n");
                return false;
            }
            var node = NodeByAbbreviatedName(weight[..eq]);
            if (node is null)
            {
                LogError($"*** No such master node {weight[..eq]}\n");
                return false;
            }
            node.Weight = (float)CParse.Atof(weight[(eq + 1)..]);
        }
        float totalWeight = 0;
        var involved = new List<ClusterNode>();
        foreach (var n in nodes)
        {
            if (n.IsReplica || n.Replicate is not null) continue;
            if (!options.UseEmptyMasters && n.SlotsCount == 0)
            {
                n.Weight = 0;
                continue;
            }
            totalWeight += n.Weight;
            involved.Add(n);
        }
        CheckCluster(quiet: true);
        if (errors.Count > 0)
        {
            LogError("*** Please fix your cluster problems before rebalancing\n");
            return false;
        }
        // balance = slots the node must give (positive) or receive (negative) to match its weight.
        bool thresholdReached = false;
        int totalBalance = 0;
        float threshold = (float)options.Threshold;
        foreach (var n in involved)
        {
            int expected = (int)(HashSlot.SlotCount / totalWeight * n.Weight);
            n.Balance = n.SlotsCount - expected;
            totalBalance += n.Balance;
            if (threshold > 0)
            {
                if (n.SlotsCount > 0)
                {
                    double errorPercent = Math.Abs(100 - 100.0 * expected / n.SlotsCount);
                    if (errorPercent > threshold) thresholdReached = true;
                }
                else if (expected > 1) thresholdReached = true;
            }
        }
        if (!thresholdReached)
        {
            LogWarn($"*** No rebalancing needed! All nodes are within the {threshold.ToString("0.00", Invariant)}% threshold.\n");
            return true;
        }
        // Rounding can leave the balances summing above zero: receivers take the excess.
        while (totalBalance > 0)
        {
            foreach (var n in involved)
            {
                if (n.Balance <= 0 && totalBalance > 0)
                {
                    n.Balance--;
                    totalBalance--;
                }
            }
        }
        var weighted = involved.OrderBy(n => n.Balance).ToList();
        LogInfo($">>> Rebalancing across {involved.Count} nodes. Total weight = {totalWeight.ToString("0.00", Invariant)}\n");
        if (session.Options.Verbose)
            foreach (var n in weighted) Print($"{n.Ip}:{n.Port} balance is {n.Balance} slots\n");
        int dstIndex = 0, srcIndex = weighted.Count - 1;
        while (dstIndex < srcIndex)
        {
            var dst = weighted[dstIndex];
            var src = weighted[srcIndex];
            int numSlots = Math.Min(Math.Abs(dst.Balance), Math.Abs(src.Balance));
            if (numSlots > 0)
            {
                Print($"Moving {numSlots} slots from {src.Ip}:{src.Port} to {dst.Ip}:{dst.Port}\n");
                var table = ReshardTable([src], numSlots);
                if (table.Count != numSlots)
                {
                    LogError("*** Assertion failed: Reshard table != number of slots");
                    return false;
                }
                if (options.Simulate) Print(new string('#', table.Count));
                else
                {
                    foreach (var (source, slot) in table)
                    {
                        if (!MoveSlot(source, dst, slot, MoveOptions.Quiet | MoveOptions.Update, out string? error))
                        {
                            LogError($"*** clusterManagerMoveSlot: {error}\n");
                            return false;
                        }
                        Print("#");
                    }
                }
                Print("\n");
            }
            dst.Balance += numSlots;
            src.Balance -= numSlots;
            if (dst.Balance == 0) dstIndex++;
            if (src.Balance == 0) srcIndex--;
        }
        return true;
    }

    // --- call / set-timeout -----------------------------------------------------------------------------

    private bool Call(string[] args)
    {
        if (!HostFromArguments(args.AsSpan(0, 1), out string ip, out int port)) return InvalidArguments();
        if (!LoadInfoFromNode(new ClusterNode(ip, port))) return false;
        var command = args[1..];
        LogInfo(">>> Calling");
        Print(string.Concat(command.Select(a => " " + a)) + "\n");
        var argv = command.Select(Encoding.UTF8.GetBytes).ToList();
        foreach (var n in nodes)
        {
            if (options.OnlyMasters && n.Replicate is not null) continue;
            if (options.OnlyReplicas && n.Replicate is null) continue;
            if (n.Connection is null && !ConnectNode(n)) continue;
            var reply = Command(n, argv);
            if (reply is null)
            {
                Print($"{n.Ip}:{n.Port}: Failed!\n");
                continue;
            }
            var formatted = new System.Buffers.ArrayBufferWriter<byte>();
            ReplyFormatter.Raw(reply, formatted, session.Options.BulkDelimiter);
            // printf("%s"): the text stops at its first NUL byte.
            var text = formatted.WrittenSpan;
            int nul = text.IndexOf((byte)0);
            if (nul >= 0) text = text[..nul];
            var line = new System.Buffers.ArrayBufferWriter<byte>();
            ReplyFormatter.Ascii(line, $"{n.Ip}:{n.Port}: ");
            line.Write(text);
            line.Write("\n"u8);
            session.WriteStdout(line.WrittenSpan);
        }
        return true;
    }

    private bool SetTimeout(string[] args)
    {
        if (!HostFromArguments(args.AsSpan(0, 1), out string ip, out int port)) return InvalidArguments();
        int timeout = (int)CParse.Atoi(args[1]);
        if (timeout < 100)
        {
            Stdio.Error("Setting a node timeout of less than 100 milliseconds is a bad idea.\n");
            return false;
        }
        if (!LoadInfoFromNode(new ClusterNode(ip, port))) return false;
        int ok = 0, failed = 0;
        LogInfo(">>> Reconfiguring node timeout in every cluster node...\n");
        foreach (var n in nodes)
        {
            string? error = null;
            bool success = CheckReply(n, Command(n, "CONFIG", "SET", "cluster-node-timeout", timeout.ToString(Invariant)), out error)
                && CheckReply(n, Command(n, "CONFIG", "REWRITE"), out error);
            if (success)
            {
                LogWarn($"*** New timeout set for {n.Ip}:{n.Port}\n");
                ok++;
                continue;
            }
            LogError($"ERR setting node-timeout for {n.Ip}:{n.Port}: {error ?? ""}\n");
            failed++;
        }
        LogInfo($">>> New node timeout set. {ok} OK, {failed} ERR.\n");
        return true;
    }

    // --- import -----------------------------------------------------------------------------------------

    private bool Import(string[] args)
    {
        if (!HostFromArguments(args, out string ip, out int port)) return InvalidArguments();
        if (options.From is null)
        {
            Stdio.Error("[ERR] Option '--cluster-from' is required for subcommand 'import'.\n");
            return false;
        }
        if (!HostFromArguments([options.From], out string sourceIp, out int sourcePort))
        {
            Stdio.Error("[ERR] Invalid --cluster-from host. You need to pass a valid address (ie. 120.0.0.1:7000).\n");
            return false;
        }
        LogInfo($">>> Importing data from {sourceIp}:{sourcePort} to cluster {ip}:{port}\n");
        if (!LoadInfoFromNode(new ClusterNode(ip, port))) return false;
        if (!CheckCluster(quiet: false)) return false;

        RedisBlockingConnection source;
        try { source = RedisBlockingConnection.ConnectTcp(sourceIp, sourcePort, acceptAttributes: false); }
        catch (RedisConnectionException e)
        {
            Stdio.Error($"Could not connect to Redis at {sourceIp}:{sourcePort}: {e.Message}.\n");
            return false;
        }
        using var _ = source;
        string? replyError = null;
        bool success = ImportKeys(source, sourceIp, sourcePort, ref replyError);
        if (replyError is not null) LogError($"Source {sourceIp}:{sourcePort} replied with error:\n{replyError}\n");
        return success;
    }

    private bool ImportKeys(RedisBlockingConnection source, string sourceIp, int sourcePort, ref string? replyError)
    {
        try
        {
            if (!CliSession.Authenticate(source, options.FromUser, options.FromPassword)) return false;
        }
        catch (RedisConnectionException)
        {
            Stdio.Error("\nI/O error\n");
            return false;
        }
        var sourceNode = new ClusterNode(sourceIp, sourcePort) { Connection = source };
        RespValue? SourceCommand(params string[] command) => ReconnectingCommand(sourceNode, command);
        var info = SourceCommand("INFO");
        if (info is null || info.IsError)
        {
            replyError = info?.AsText();
            return false;
        }
        if ((InfoLong(info.AsText(), "cluster_enabled") ?? long.MinValue) != 0)
        {
            LogError("[ERR] The source node should not be a cluster node.\n");
            return false;
        }
        var size = SourceCommand("DBSIZE");
        if (size is null || size.IsError)
        {
            replyError = size?.AsText();
            return false;
        }
        LogWarn($"*** Importing {size.Integer} keys from DB 0\n");
        var owners = new ClusterNode?[HashSlot.SlotCount];
        for (int i = 0; i < HashSlot.SlotCount; i++)
            owners[i] = nodes.FirstOrDefault(n => !n.IsReplica && n.SlotsCount > 0 && n.Slots[i]);
        long cursor = -999;
        while (cursor != 0)
        {
            if (cursor < 0) cursor = 0;
            var scan = SourceCommand("SCAN", cursor.ToString(Invariant), "COUNT", "1000");
            if (scan is null || scan.IsError)
            {
                replyError = scan?.AsText();
                return false;
            }
            cursor = CParse.Atoi(scan.Elements[0].AsText());
            foreach (var keyReply in scan.Elements[1].Elements)
            {
                var key = keyReply.Bytes;
                var target = owners[HashSlot.ForKey(key)]!;
                string keyText = Encoding.UTF8.GetString(key);
                Print($"Migrating {keyText} to {target.Ip}:{target.Port}: ");
                var argv = new List<byte[]>
                {
                    "MIGRATE"u8.ToArray(), Encoding.UTF8.GetBytes(target.Ip), Encoding.ASCII.GetBytes(target.Port.ToString(Invariant)),
                    key, "0"u8.ToArray(), Encoding.ASCII.GetBytes(options.Timeout.ToString(Invariant)),
                };
                if (session.Options.Password is { } password)
                {
                    if (session.Options.User is { } user) argv.AddRange(["AUTH2"u8.ToArray(), Encoding.UTF8.GetBytes(user), Encoding.UTF8.GetBytes(password)]);
                    else argv.AddRange(["AUTH"u8.ToArray(), Encoding.UTF8.GetBytes(password)]);
                }
                if (options.Copy) argv.Add("COPY"u8.ToArray());
                if (options.Replace) argv.Add("REPLACE"u8.ToArray());
                var migrate = ReconnectingCommand(sourceNode, argv);
                if (migrate is null || migrate.IsError)
                {
                    if (migrate is not null) LogError($"Source {sourceIp}:{sourcePort} replied with error:\n{migrate.AsText()}\n");
                    return false;
                }
                LogOk("OK\n");
            }
        }
        return true;
    }

    /// <summary>reconnectingRedisCommand on the import source: on a lost link, reconnect once a second.</summary>
    private RespValue? ReconnectingCommand(ClusterNode node, params string[] command) =>
        ReconnectingCommand(node, command.Select(Encoding.UTF8.GetBytes).ToList());

    private RespValue? ReconnectingCommand(ClusterNode node, List<byte[]> command)
    {
        int tries = 0;
        while (true)
        {
            while (node.Connection is null)
            {
                Print("\r\x1b[0K");
                Print($"Reconnecting... {++tries}\r");
                try { node.Connection = RedisBlockingConnection.ConnectTcp(node.Ip, node.Port, acceptAttributes: false); }
                catch (RedisConnectionException) { node.Connection = null; }
                Thread.Sleep(1000);
            }
            var reply = Command(node, command);
            if (reply is null) continue;
            if (tries > 0) Print("\r\x1b[0K");
            return reply;
        }
    }

    // --- backup -----------------------------------------------------------------------------------------

    private bool Backup(string[] args)
    {
        if (!HostFromArguments(args.AsSpan(0, 1), out string ip, out int port)) return InvalidArguments();
        if (!LoadInfoFromNode(new ClusterNode(ip, port))) return false;
        bool noIssues = CheckCluster(quiet: false);
        int errorCount = noIssues ? 0 : errors.Count;
        string directory = args[1];
        var json = new StringBuilder("[\n");
        bool firstNode = true;
        foreach (var node in nodes)
        {
            if (!firstNode) json.Append(",\n");
            firstNode = false;
            json.Append(NodeJson(node, errorCount));
            if (node.Replicate is not null) continue;
            LogInfo($">>> Node {node.Ip}:{node.Port} -> Saving RDB...\n");
            string file = WithSlash(directory) + $"redis-node-{node.Ip}-{node.Port}-{node.Name}.rdb";
            ReplicaMode.TransferRdb(node.Connection!, file);
            node.Connection = null;
        }
        json.Append("\n]");
        string jsonPath = WithSlash(directory) + "nodes.json";
        LogInfo($"Saving cluster configuration to: {jsonPath}\n");
        try { File.WriteAllText(jsonPath, json.ToString()); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogError($"Could not save nodes to: {jsonPath}\n");
            LogOk("[ERR] Failed to back cluster!\n");
            return false;
        }
        if (!noIssues) LogWarn("*** Cluster seems to have some problems, please be aware of it if you're going to restore this backup.\n");
        LogOk($"[OK] Backup created into: {directory}\n");
        return true;
    }

    private static string WithSlash(string directory) => directory.EndsWith('/') ? directory : directory + "/";

    private static string NodeJson(ClusterNode node, int errorCount)
    {
        string replicate = node.Replicate is null ? "null" : $"\"{node.Replicate}\"";
        string slots = SlotsString(node).Replace('-', ',');
        var json = new StringBuilder();
        json.Append("  {\n")
            .Append($"    \"name\": \"{node.Name}\",\n")
            .Append($"    \"host\": \"{node.Ip}\",\n")
            .Append($"    \"port\": {node.Port},\n")
            .Append($"    \"replicate\": {replicate},\n")
            .Append($"    \"slots\": [{slots}],\n")
            .Append($"    \"slots_count\": {node.SlotsCount},\n")
            .Append($"    \"flags\": \"{FlagString(node)}\",\n")
            .Append($"    \"current_epoch\": {node.CurrentEpoch}");
        if (errorCount > 0) json.Append($",\n    \"cluster_errors\": {errorCount}");
        if (node.Migrating.Count > 0)
            json.Append(",\n    \"migrating\": {").Append(string.Join(",", node.Migrating.Select(m => $"\"{m.Slot}\": \"{m.Node}\""))).Append('}');
        if (node.Importing.Count > 0)
            json.Append(",\n    \"importing\": {").Append(string.Join(",", node.Importing.Select(m => $"\"{m.Slot}\": \"{m.Node}\""))).Append('}');
        json.Append("\n  }");
        return json.ToString();
    }
}
