// The replica-side directives (Redis's replication section of config.c): how this server
// authenticates to its master, what it announces, whether it serves writes or stale data, how
// the link may stay silent (repl-timeout, shared with the master side's settings) and how a full sync's payload is loaded. Registered as real
// entries, they replace the accepted-only placeholders of the same names (ConfigRegistry.Add),
// with Redis's types, defaults, ranges and aliases.
using Csredis.Server.Config;

namespace Csredis.Server.Replication;

public sealed class ReplicaConfig
{
    public string MasterAuth = "";
    public string MasterUser = "";
    public string AnnounceIp = "";
    public int AnnouncePort;
    public int Priority = 100;
    public bool ReadOnly = true;
    public bool ServeStaleData = true;
    public bool Announced = true;
    /// <summary>repl-diskless-load: "disabled", "on-empty-db" or "swapdb".</summary>
    public string DisklessLoad = "disabled";

    public ReplicaConfig(ConfigRegistry r)
    {
        r.Text("masterauth", () => MasterAuth, v => MasterAuth = v);
        r.Text("masteruser", () => MasterUser, v => MasterUser = v);
        r.Text("replica-announce-ip", () => AnnounceIp, v => AnnounceIp = v, aliases: ["slave-announce-ip"]);
        r.Integer("replica-announce-port", 0, 65535, () => AnnouncePort, v => AnnouncePort = (int)v, aliases: ["slave-announce-port"]);
        r.Integer("replica-priority", 0, int.MaxValue, () => Priority, v => Priority = (int)v, aliases: ["slave-priority"]);
        r.Bool("replica-read-only", () => ReadOnly, v => ReadOnly = v, aliases: ["slave-read-only"]);
        r.Bool("replica-serve-stale-data", () => ServeStaleData, v => ServeStaleData = v, aliases: ["slave-serve-stale-data"]);
        r.Bool("replica-announced", () => Announced, v => Announced = v);
        r.Enum("repl-diskless-load", ["disabled", "on-empty-db", "swapdb"], () => DisklessLoad, v => DisklessLoad = v);
    }
}
