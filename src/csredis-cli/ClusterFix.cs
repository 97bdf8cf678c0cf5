// The cluster manager's repairs and slot moves. Moving a slot follows the live-resharding protocol:
// the target marks it importing, the source migrating, keys go over in MIGRATE batches of
// --cluster-pipeline keys, then every master learns the new owner (target first, so a crash cannot
// leave the slot unowned). The fixes (--cluster fix) resolve open slots case by case (one migrating
// and one importing node; only importing nodes; one migrating node and several importing; a migrating
// node left with no keys), cover slots no node claims (by a random master, the one node with keys, or
// the node with most keys after moving the others' keys to it), and give a slot with several owners
// to one of them. Each step prints what redis-cli prints for it.
using System.Text;
using Csredis.Common.Client;
using Csredis.Common.Cluster;

namespace Csredis.Cli;

public sealed partial class ClusterManager
{
    // --- single slot operations -----------------------------------------------------------------------

    /// <summary>CLUSTER SETSLOT slot importing|migrating|node target-id on node.</summary>
    private bool SetSlot(ClusterNode node, ClusterNode target, int slot, string state, out string? error, bool printError)
    {
        var reply = Command(node, "CLUSTER", "SETSLOT", slot.ToString(), state, target.Name ?? "");
        error = null;
        if (reply is null)
        {
            error = "CLUSTER SETSLOT failed to run";
            return false;
        }
        if (!reply.IsError) return true;
        error = reply.AsText();
        if (printError) PrintReplyError(node, error);
        return false;
    }

    private bool SetSlot(ClusterNode node, ClusterNode target, int slot, string state) =>
        SetSlot(node, target, slot, state, out _, printError: true);

    private bool ClearSlotStatus(ClusterNode node, int slot) => CheckReply(node, Command(node, "CLUSTER", "SETSLOT", slot.ToString(), "STABLE"));

    /// <summary>CLUSTER DELSLOTS; with ignoreUnassigned an error is forgiven when nobody owns the slot.</summary>
    private bool DelSlot(ClusterNode node, int slot, bool ignoreUnassigned)
    {
        var reply = Command(node, "CLUSTER", "DELSLOTS", slot.ToString());
        bool success = CheckReply(node, reply, out string? error);
        if (!success && reply is { IsError: true } && ignoreUnassigned)
        {
            var owner = SlotOwner(node, slot, out string? ownerError);
            if (owner is null)
            {
                if (ownerError is null) success = true;
                else PrintReplyError(node, ownerError);
            }
        }
        if (!success && error is not null) PrintReplyError(node, error);
        return success;
    }

    /// <summary>The node that <paramref name="asked"/> believes serves the slot, from its CLUSTER SLOTS.</summary>
    private ClusterNode? SlotOwner(ClusterNode asked, int slot, out string? error)
    {
        var reply = Command(asked, "CLUSTER", "SLOTS");
        if (!CheckReply(asked, reply, out error)) return null;
        foreach (var range in reply!.Elements)
        {
            if (range.Elements.Length < 3) continue;
            long from = range.Elements[0].Integer, to = range.Elements[1].Integer;
            if (slot < from || slot > to) continue;
            var master = range.Elements[2];
            ClusterNode? owner = master.Elements.Length >= 3
                ? NodeByName(master.Elements[2].AsText())
                : nodes.FirstOrDefault(n => n.Ip == master.Elements[0].AsText() && n.Port == master.Elements[1].Integer);
            if (owner is not null) return owner;
        }
        return null;
    }

    /// <summary>Makes node the slot's owner in one MULTI/EXEC: DELSLOTS (may fail harmlessly), ADDSLOTS,
    /// optionally SETSLOT STABLE, BUMPEPOCH so the claim wins.</summary>
    private bool SetSlotOwner(ClusterNode owner, int slot, bool clearStatus)
    {
        if (!CheckReply(owner, Command(owner, "MULTI"))) return false;
        DelSlot(owner, slot, ignoreUnassigned: true);
        CheckReply(owner, Command(owner, "CLUSTER", "ADDSLOTS", slot.ToString()));
        if (clearStatus) ClearSlotStatus(owner, slot);
        CheckReply(owner, Command(owner, "CLUSTER", "BUMPEPOCH"));
        var reply = Command(owner, "EXEC");
        if (!CheckReply(owner, reply)) return false;
        if (reply!.Type != RespType.Array) return false;
        for (int i = 0; i < reply.Elements.Length; i++)
        {
            var item = reply.Elements[i];
            if (!item.IsError) continue;
            // Only a failing ADDSLOTS (the second command) is a failure.
            if (i != 1) continue;
            PrintReplyError(owner, item.AsText());
            return false;
        }
        return true;
    }

    private ClusterNode? NodeWithMostKeysInSlot(List<ClusterNode> candidates, int slot)
    {
        ClusterNode? best = null;
        long most = 0;
        foreach (var n in candidates)
        {
            if (n.IsReplica || n.Replicate is not null) continue;
            var reply = Command(n, "CLUSTER", "COUNTKEYSINSLOT", slot.ToString());
            if (!CheckReply(n, reply, out string? error))
            {
                if (error is not null) PrintReplyError(n, error);
                return null;
            }
            if (reply!.Integer > most || best is null)
            {
                most = reply.Integer;
                best = n;
            }
        }
        return best;
    }

    private ClusterNode? NodeWithLeastReplicas()
    {
        ClusterNode? best = null;
        foreach (var n in nodes)
            if (!n.IsReplica && (best is null || n.ReplicasCount < best.ReplicasCount)) best = n;
        return best;
    }

    /// <summary>srand(time(NULL)); rand() % masters, as redis-cli draws it (the same master all second long).</summary>
    private ClusterNode RandomMaster()
    {
        var masters = nodes.Where(n => !n.IsReplica).ToList();
        return masters[GlibcRandom.SeededWithTime().Next() % masters.Count];
    }

    // --- moving keys and slots --------------------------------------------------------------------------

    /// <summary>MIGRATE host port "" 0 timeout [REPLACE] [AUTH...] KEYS k1 k2 ... from source to target.</summary>
    private RespValue? MigrateKeys(ClusterNode source, ClusterNode target, RespValue[] keys, bool replace)
    {
        var argv = new List<byte[]>
        {
            "MIGRATE"u8.ToArray(), Encoding.UTF8.GetBytes(target.Ip), Encoding.ASCII.GetBytes(target.Port.ToString()),
            Array.Empty<byte>(), "0"u8.ToArray(), Encoding.ASCII.GetBytes(options.Timeout.ToString()),
        };
        if (replace) argv.Add("REPLACE"u8.ToArray());
        if (session.Options.Password is { } password)
        {
            if (session.Options.User is { } user) argv.AddRange(["AUTH2"u8.ToArray(), Encoding.UTF8.GetBytes(user), Encoding.UTF8.GetBytes(password)]);
            else argv.AddRange(["AUTH"u8.ToArray(), Encoding.UTF8.GetBytes(password)]);
        }
        argv.Add("KEYS"u8.ToArray());
        argv.AddRange(keys.Select(k => k.Bytes));
        return Command(source, argv);
    }

    /// <summary>Keys present on both nodes whose values differ (DEBUG DIGEST-VALUE), or null if the
    /// digests could not be had.</summary>
    private List<string>? DifferentValues(ClusterNode first, ClusterNode second, RespValue[] keys)
    {
        var argv = new List<byte[]> { "DEBUG"u8.ToArray(), "DIGEST-VALUE"u8.ToArray() };
        argv.AddRange(keys.Select(k => k.Bytes));
        var a = Command(first, argv);
        if (a is null) return null;
        var b = Command(second, argv);
        if (b is null) return null;
        bool ok = true;
        if (a.IsError) { PrintReplyError(first, a.AsText()); ok = false; }
        if (b.IsError) { PrintReplyError(second, b.AsText()); ok = false; }
        if (!ok) return null;
        const string zero = "0000000000000000000000000000000000000000";
        var different = new List<string>();
        for (int i = 0; i < keys.Length && i < a.Elements.Length && i < b.Elements.Length; i++)
        {
            string h1 = a.Elements[i].AsText(), h2 = b.Elements[i].AsText();
            if (h1 == zero || h2 == zero) continue;
            if (h1 != h2) different.Add(Encoding.UTF8.GetString(keys[i].Bytes));
        }
        return different;
    }

    /// <summary>Moves every key of the slot in batches; a key that exists on the target (BUSYKEY) is
    /// replaced when --cluster-replace was given or both values are equal, otherwise the move stops.</summary>
    private bool MigrateKeysInSlot(ClusterNode source, ClusterNode target, int slot, bool printDots, out string? error)
    {
        error = null;
        while (true)
        {
            var keysReply = Command(source, "CLUSTER", "GETKEYSINSLOT", slot.ToString(), options.Pipeline.ToString());
            if (keysReply is null) return false;
            if (keysReply.IsError)
            {
                error = keysReply.AsText();
                PrintReplyError(source, error);
                return false;
            }
            var keys = keysReply.Elements;
            if (keys.Length == 0) return true;
            var migrate = MigrateKeys(source, target, keys, replace: false);
            if (migrate is null) return false;
            if (migrate.IsError)
            {
                string text = migrate.AsText();
                bool busy = text.Contains("BUSYKEY", StringComparison.Ordinal);
                bool notServed = false;
                if (!busy)
                {
                    var servedBy = SlotOwner(source, slot, out string? ownerError);
                    if (servedBy is null)
                    {
                        if (ownerError is null) notServed = true;
                        else PrintReplyError(source, ownerError);
                    }
                }
                bool success;
                if (busy || notServed)
                {
                    if (options.Fix && notServed)
                    {
                        LogWarn($"*** Slot was not served, setting owner to node {target.Ip}:{target.Port}.\n");
                        SetSlot(source, target, slot, "node");
                    }
                    if (busy)
                    {
                        LogWarn("\n*** Target key exists\n");
                        if (!options.Replace)
                        {
                            LogWarn("*** Checking key values on both nodes...\n");
                            var different = DifferentValues(source, target, keys);
                            if (different is null)
                            {
                                LogError("*** Value check failed!\n");
                                return false;
                            }
                            if (different.Count > 0)
                            {
                                LogError($"*** Found {different.Count} key(s) in both source node and target node having different values.\n" +
                                         $"    Source node: {source.Ip}:{source.Port}\n    Target node: {target.Ip}:{target.Port}\n    Keys(s):\n");
                                foreach (var key in different) LogError($"    - {key}\n");
                                LogError("Please fix the above key(s) manually and try again or relaunch the command \n" +
                                         "with --cluster-replace option to force key overriding.\n");
                                return false;
                            }
                        }
                        LogWarn("*** Replacing target keys...\n");
                    }
                    migrate = MigrateKeys(source, target, keys, replace: busy);
                    success = migrate is { IsError: false };
                }
                else success = false;
                if (!success)
                {
                    if (migrate is not null)
                    {
                        error = migrate.AsText();
                        Print("\n");
                        PrintReplyError(source, error);
                    }
                    return false;
                }
            }
            if (printDots) Print(new string('.', keys.Length));
        }
    }

    [Flags]
    private enum MoveOptions { None = 0, Verbose = 1, Cold = 2, Update = 4, Quiet = 8 }

    /// <summary>Moves one slot from source to target. Cold moves only the keys (the slot states are
    /// managed by the caller); Update records the new owner in the node table.</summary>
    private bool MoveSlot(ClusterNode source, ClusterNode target, int slot, MoveOptions moveOptions, out string? error)
    {
        if ((moveOptions & MoveOptions.Quiet) == 0)
            Print($"Moving slot {slot} from {source.Ip}:{source.Port} to {target.Ip}:{target.Port}: ");
        bool cold = (moveOptions & MoveOptions.Cold) != 0;
        error = null;
        if (!cold)
        {
            if (!SetSlot(target, source, slot, "importing", out error, printError: false)) return false;
            if (!SetSlot(source, target, slot, "migrating", out error, printError: false)) return false;
        }
        bool moved = MigrateKeysInSlot(source, target, slot, (moveOptions & MoveOptions.Verbose) != 0, out error);
        if ((moveOptions & MoveOptions.Quiet) == 0) Print("\n");
        if (!moved) return false;
        if (!cold)
        {
            // The target learns first and spreads the news; a crash cannot leave the slot ownerless.
            if (!SetSlot(target, target, slot, "node", out error, printError: true)) return false;
            // A source that just gave away its last slot may have turned replica: that refusal is fine.
            if (!SetSlot(source, target, slot, "node", out error, printError: true))
            {
                if (error is not null && error.StartsWith("ERR Please use SETSLOT only with masters.", StringComparison.Ordinal)) error = null;
                else return false;
            }
            foreach (var n in nodes)
            {
                if (n == target || n == source || n.IsReplica) continue;
                if (!SetSlot(n, target, slot, "node", out error, printError: true)) return false;
            }
        }
        if ((moveOptions & MoveOptions.Update) != 0)
        {
            source.Slots[slot] = false;
            target.Slots[slot] = true;
        }
        return true;
    }

    // --- fixes --------------------------------------------------------------------------------------------

    private void RefuseFixWithUnreachableMasters(string what)
    {
        if (unreachableMasters == 0 || options.FixWithUnreachableMasters) return;
        LogWarn($"*** Fixing {what} with {unreachableMasters} unreachable masters is dangerous: redis-cli will assume that " +
                "slots about masters that are not reachable are not covered, and will try to reassign them to the reachable " +
                "nodes. This can cause data loss and is rarely what you want to do. If you really want to proceed use the " +
                "--cluster-fix-with-unreachable-masters option.\n");
        Environment.Exit(1);
    }

    /// <summary>A slot some node has in migrating or importing state: decide its owner and finish or undo
    /// the interrupted move.</summary>
    private bool FixOpenSlot(int slot)
    {
        RefuseFixWithUnreachableMasters("open slots");
        LogInfo($">>> Fixing open slot {slot}\n");
        string slotText = slot.ToString();
        var owners = new List<ClusterNode>();
        foreach (var n in nodes)
        {
            if (n.IsReplica) continue;
            if (n.Slots[slot])
            {
                owners.Add(n);
                continue;
            }
            var reply = Command(n, "CLUSTER", "COUNTKEYSINSLOT", slotText);
            bool ok = CheckReply(n, reply);
            if (ok && reply!.Integer > 0)
            {
                LogWarn($"*** Found keys about slot {slot} in non-owner node {n.Ip}:{n.Port}!\n");
                owners.Add(n);
            }
            if (!ok) return false;
        }
        ClusterNode? owner = owners.Count == 1 ? owners[0] : null;
        var migrating = new List<ClusterNode>();
        var importing = new List<ClusterNode>();
        var migratingText = new StringBuilder();
        var importingText = new StringBuilder();
        foreach (var n in nodes)
        {
            if (n.IsReplica) continue;
            bool isMigrating = false, isImporting = false;
            if (n.Migrating.Any(m => CParse.Atoi(m.Slot) == slot))
            {
                migratingText.Append(migrating.Count == 0 ? "" : ",").Append($"{n.Ip}:{n.Port}");
                migrating.Add(n);
                isMigrating = true;
            }
            else if (n.Importing.Any(m => CParse.Atoi(m.Slot) == slot))
            {
                importingText.Append(importing.Count == 0 ? "" : ",").Append($"{n.Ip}:{n.Port}");
                importing.Add(n);
                isImporting = true;
            }
            // A node with keys that neither owns nor moves the slot is treated as importing it.
            if (!isMigrating && !isImporting && n != owner)
            {
                var reply = Command(n, "CLUSTER", "COUNTKEYSINSLOT", slotText);
                bool ok = CheckReply(n, reply);
                if (ok && reply!.Integer > 0)
                {
                    LogWarn($"*** Found keys about slot {slot} in node {n.Ip}:{n.Port}!\n");
                    importingText.Append(importing.Count == 0 ? "" : ",").Append($"{n.Ip}:{n.Port}");
                    importing.Add(n);
                }
                if (!ok) return false;
            }
        }
        if (migratingText.Length > 0) Print($"Set as migrating in: {migratingText}\n");
        if (importingText.Length > 0) Print($"Set as importing in: {importingText}\n");

        if (owner is null)
        {
            LogInfo(">>> No single clear owner for the slot, selecting an owner by # of keys...\n");
            owner = NodeWithMostKeysInSlot(nodes, slot);
            if (owner is null)
            {
                LogError("[ERR] Can't select a slot owner. Impossible to fix.\n");
                return false;
            }
            LogWarn($"*** Configuring {owner.Ip}:{owner.Port} as the slot owner\n");
            if (!ClearSlotStatus(owner, slot)) return false;
            if (!SetSlotOwner(owner, slot, clearStatus: false)) return false;
            owner.Slots[slot] = true;
            migrating.Remove(owner);
            importing.Remove(owner);
        }

        // Several owners: one keeps the slot, the others give it up and take keys as importing nodes.
        if (owners.Count > 1)
        {
            foreach (var n in owners)
            {
                if (n == owner) continue;
                if (!DelSlot(n, slot, ignoreUnassigned: true)) return false;
                n.Slots[slot] = false;
                if (!SetSlot(n, owner, slot, "node")) return false;
                if (!SetSlot(n, owner, slot, "importing")) return false;
                importing.Remove(n);
                importing.Add(n);
                migrating.Remove(n);
            }
        }

        const MoveOptions moveOptions = MoveOptions.Verbose;
        if (migrating.Count == 1 && importing.Count == 1)
        {
            // Case 1: one node migrating, one importing: finish the move.
            var source = migrating[0];
            var target = importing[0];
            LogInfo($">>> Case 1: Moving slot {slot} from {source.Ip}:{source.Port} to {target.Ip}:{target.Port}\n");
            return MoveSlot(source, target, slot, moveOptions, out _);
        }
        if (migrating.Count == 0 && importing.Count > 0)
        {
            // Case 2: only importing nodes (they got keys, say after a restart): all keys go to the owner.
            LogInfo($">>> Case 2: Moving all the {slot} slot keys to its owner {owner.Ip}:{owner.Port}\n");
            foreach (var n in importing)
            {
                if (n == owner) continue;
                if (!MoveSlot(n, owner, slot, moveOptions | MoveOptions.Cold, out _)) return false;
                LogInfo($">>> Setting {slot} as STABLE in {n.Ip}:{n.Port}\n");
                if (!ClearSlotStatus(n, slot)) return false;
            }
            // Cold moves change no slot state: tell every master who owns the slot.
            foreach (var n in nodes)
            {
                if (n == owner || n.IsReplica) continue;
                if (!CheckReply(n, Command(n, "CLUSTER", "SETSLOT", slotText, "NODE", owner.Name ?? ""))) return false;
            }
            return true;
        }
        if (migrating.Count == 1 && importing.Count > 1)
        {
            // Case 3: one migrating node and several importing ones without keys: move to the intended
            // destination if it is among them and close the others, else close everything.
            var source = migrating[0];
            string? targetId = source.Migrating.FirstOrDefault(m => CParse.Atoi(m.Slot) == slot).Node;
            ClusterNode? destination = null;
            foreach (var n in importing)
            {
                if (CountKeysInSlot(n, slot) > 0) return UnhandledOpenSlot(slot, migratingText, importingText, owner);
                if (n.Name == targetId) destination = n;
            }
            if (destination is not null)
            {
                LogInfo($">>> Case 3: Moving slot {slot} from {source.Ip}:{source.Port} to {destination.Ip}:{destination.Port} and closing it on all the other importing nodes.\n");
                if (!MoveSlot(source, destination, slot, moveOptions, out _)) return false;
                foreach (var n in importing)
                {
                    if (n == destination) continue;
                    if (!ClearSlotStatus(n, slot)) return false;
                }
            }
            else
            {
                LogInfo($">>> Case 3: Closing slot {slot} on both migrating and importing nodes.\n");
                if (!ClearSlotStatus(source, slot)) return false;
                foreach (var n in importing)
                    if (!ClearSlotStatus(n, slot)) return false;
            }
            return true;
        }
        bool closeSlot = importing.Count == 0 && migrating.Count == 1;
        if (closeSlot)
        {
            var n = migrating[0];
            if (owner != n)
            {
                var reply = Command(n, "CLUSTER", "GETKEYSINSLOT", slotText, "10");
                bool ok = CheckReply(n, reply);
                if (reply is not null && ok) closeSlot = reply.Elements.Length == 0;
                if (!ok) return false;
            }
        }
        if (closeSlot)
        {
            // Case 4: a migrating node with no keys left (or the owner itself): an interrupted reshard.
            var n = migrating[0];
            LogInfo($">>> Case 4: Closing slot {slot} on {n.Ip}:{n.Port}\n");
            return ClearSlotStatus(n, slot);
        }
        return UnhandledOpenSlot(slot, migratingText, importingText, owner);
    }

    private bool UnhandledOpenSlot(int slot, StringBuilder migrating, StringBuilder importing, ClusterNode owner)
    {
        _ = slot;
        LogError($"[ERR] Sorry, redis-cli can't fix this slot yet (work in progress). Slot is set as migrating in {migrating}, " +
                 $"as importing in {importing}, owner is {owner.Ip}:{owner.Port}\n");
        return false;
    }

    /// <summary>Slots no node serves, grouped by how many masters hold keys for them; after confirmation
    /// (always asked, even with --cluster-yes) each is given to a random master, to the one node with
    /// keys, or to the node with most keys after moving the other nodes' keys to it. Returns the number
    /// fixed, -1 on failure.</summary>
    private int FixSlotsCoverage(bool[] covered)
    {
        RefuseFixWithUnreachableMasters("slots coverage");
        LogInfo(">>> Fixing slots coverage...\n");
        var uncovered = new RedisDictOrder();
        var holders = new Dictionary<string, List<ClusterNode>>();
        for (int i = 0; i < HashSlot.SlotCount; i++)
        {
            if (covered[i]) continue;
            string key = i.ToString();
            var withKeys = new List<ClusterNode>();
            foreach (var n in nodes)
            {
                if (n.IsReplica || n.Replicate is not null) continue;
                var reply = Command(n, "CLUSTER", "GETKEYSINSLOT", key, "1");
                if (!CheckReply(n, reply, out _)) return -1;
                if (reply!.Elements.Length > 0) withKeys.Add(n);
            }
            uncovered.Add(key);
            holders[key] = withKeys;
        }

        var none = new List<string>();
        var single = new List<string>();
        var multiple = new List<string>();
        foreach (var slot in uncovered.IterationOrder())
        {
            switch (holders[slot].Count)
            {
                case 0: none.Add(slot); break;
                case 1: single.Add(slot); break;
                default: multiple.Add(slot); break;
            }
        }
        int fixedCount = 0;
        if (none.Count > 0)
        {
            Print("The following uncovered slots have no keys across the cluster:\n");
            PrintSlotsList(none);
            if (ConfirmWithYes("Fix these slots by covering with a random node?", ignoreForce: true))
            {
                foreach (var slot in none)
                {
                    var n = RandomMaster();
                    LogInfo($">>> Covering slot {slot} with {n.Ip}:{n.Port}\n");
                    if (!SetSlotOwner(n, (int)CParse.Atoi(slot), clearStatus: false)) return -1;
                    n.Slots[CParse.Atoi(slot)] = true;
                    fixedCount++;
                }
            }
        }
        if (single.Count > 0)
        {
            Print("The following uncovered slots have keys in just one node:\n");
            PrintSlotsList(single);
            if (ConfirmWithYes("Fix these slots by covering with those nodes?", ignoreForce: true))
            {
                foreach (var slot in single)
                {
                    var n = holders[slot][0];
                    LogInfo($">>> Covering slot {slot} with {n.Ip}:{n.Port}\n");
                    if (!SetSlotOwner(n, (int)CParse.Atoi(slot), clearStatus: false)) return -1;
                    n.Slots[CParse.Atoi(slot)] = true;
                    fixedCount++;
                }
            }
        }
        if (multiple.Count > 0)
        {
            Print("The following uncovered slots have keys in multiple nodes:\n");
            PrintSlotsList(multiple);
            if (ConfirmWithYes("Fix these slots by moving keys into a single node?", ignoreForce: true))
            {
                foreach (var slot in multiple)
                {
                    int s = (int)CParse.Atoi(slot);
                    var target = NodeWithMostKeysInSlot(holders[slot], s);
                    if (target is null) return -1;
                    LogInfo($">>> Covering slot {slot} moving keys to {target.Ip}:{target.Port}\n");
                    if (!SetSlotOwner(target, s, clearStatus: true)) return -1;
                    target.Slots[s] = true;
                    foreach (var source in holders[slot])
                    {
                        if (source == target) continue;
                        if (!SetSlot(source, target, s, "NODE")) return -1;
                        // Importing, so MIGRATE is not redirected away from the source.
                        if (!SetSlot(source, target, s, "IMPORTING")) return -1;
                        if (!MoveSlot(source, target, s, MoveOptions.Verbose | MoveOptions.Cold, out _)) return -1;
                        if (!ClearSlotStatus(source, s)) return -1;
                    }
                    fixedCount++;
                }
            }
        }
        return fixedCount;
    }

    /// <summary>Slots as sorted ranges ("[0-2],[5]"), whatever order they were found in.</summary>
    private void PrintSlotsList(List<string> slots)
    {
        var set = new ClusterNode("", 0);
        foreach (var slot in slots)
        {
            long s = CParse.Atoi(slot);
            if (s >= 0 && s < HashSlot.SlotCount) set.Slots[s] = true;
        }
        Print(SlotsString(set) + "\n");
    }

    /// <summary>A slot claimed (or holding keys) on several masters: the one with most keys keeps it, the
    /// others hand over their keys.</summary>
    private bool FixMultipleSlotOwners(int slot, List<ClusterNode> owners)
    {
        LogInfo($">>> Fixing multiple owners for slot {slot}...\n");
        var owner = NodeWithMostKeysInSlot(owners, slot) ?? owners[0];
        LogInfo($">>> Setting slot {slot} owner: {owner.Ip}:{owner.Port}\n");
        if (!SetSlotOwner(owner, slot, clearStatus: false)) return false;
        bool success = false;
        foreach (var n in nodes)
        {
            if (n == owner || n.IsReplica) continue;
            int count = CountKeysInSlot(n, slot);
            success = count >= 0;
            if (!success) break;
            DelSlot(n, slot, ignoreUnassigned: true);
            if (!SetSlot(n, owner, slot, "node")) return false;
            if (count > 0)
            {
                success = MoveSlot(n, owner, slot, MoveOptions.Verbose | MoveOptions.Cold, out _);
                if (!success) break;
            }
        }
        return success;
    }
}
