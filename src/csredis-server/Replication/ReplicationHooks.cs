// Where replication attaches to the rest of the server: the stream owned by RedisServer, the
// per-connection replica state on Client, and the helper commands use to say how they propagate.
using Csredis.Server.Replication;

namespace Csredis.Server.Networking
{
    public sealed partial class Client
    {
        /// <summary>Set once this connection sent SYNC/PSYNC: its state as a replica of this server.</summary>
        public ReplicaSession? ReplicaSession;

        /// <summary>master_repl_offset right after this client's last propagated command (what WAIT waits for).</summary>
        public long ReplWriteOffset;

        /// <summary>Whether propagation is live (a replica or backlog exists): rewrites are only worth building then.</summary>
        public bool Propagating => Server.Replication.Propagation.Active;

        /// <summary>The running command reaches replicas as <paramref name="args"/> (EXPIRE as PEXPIREAT...).</summary>
        public void PropagateAs(params byte[][] args) => Server.Replication.Propagation.Rewrite(args);
    }
}
