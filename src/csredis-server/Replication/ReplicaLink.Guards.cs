// What a replica refuses (Redis's processCommand checks): writes from anyone but the master while
// replica-read-only is on (READONLY), and, while the link with the master is down and
// replica-serve-stale-data is off, every command not flagged stale (MASTERDOWN). Both run as
// command filters before MULTI queueing, so a refused command inside MULTI dooms the EXEC.
using Csredis.Server.Commands;
using Csredis.Server.Networking;

namespace Csredis.Server.Replication;

public sealed partial class ReplicaLink
{
    static readonly byte[] ReadOnlyError = "READONLY You can't write against a read only replica."u8.ToArray();
    static readonly byte[] MasterDownError = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."u8.ToArray();

    void InstallGuards()
    {
        _server.CommandFilters.Add(RefuseWriteOnReadOnlyReplica);
        _server.CommandFilters.Add(RefuseWhileMasterDown);
    }

    bool RefuseWriteOnReadOnlyReplica(Client c, Command cmd)
    {
        if (_server.MasterHost == null || !Settings.ReadOnly || (c.Flags & ClientFlags.Master) != 0) return true;
        bool isWrite = cmd.Is(CommandFlags.Write) || (cmd.Name == "exec" && _server.MultiQueueHasWrites?.Invoke(c) == true);
        if (!isWrite) return true;
        _server.RejectCommand(c, cmd, ReadOnlyError);
        return false;
    }

    bool RefuseWhileMasterDown(Client c, Command cmd)
    {
        if (_server.MasterHost == null || State == ReplicaLinkState.Connected || Settings.ServeStaleData || cmd.Is(CommandFlags.Stale)) return true;
        _server.RejectCommand(c, cmd, MasterDownError);
        return false;
    }
}
