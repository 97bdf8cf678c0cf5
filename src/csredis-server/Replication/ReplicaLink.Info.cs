// INFO replication's replica fields, in Redis 7.0's order and formats (genRedisInfoString):
// the link, the offsets read and applied, the transfer's progress while a full sync runs, how long
// the link has been down, then priority, read-only and announcement settings.
using System.Globalization;
using Csredis.Server.Commands;

namespace Csredis.Server.Replication;

public sealed partial class ReplicaLink
{
    public void WriteInfo(InfoWriter info)
    {
        long now = _server.CachedUnixMs;
        info.Field("master_host", _server.MasterHost!);
        info.Field("master_port", _server.MasterPort);
        info.Field("master_link_status", State == ReplicaLinkState.Connected ? "up" : "down");
        info.Field("master_last_io_seconds_ago", Master != null ? (now - Master.LastInteractionMs) / 1000 : -1);
        info.Field("master_sync_in_progress", State == ReplicaLinkState.Transfer ? 1 : 0);
        info.Field("slave_read_repl_offset", ReportedReadOffset);
        info.Field("slave_repl_offset", ReportedProcessedOffset);
        if (State == ReplicaLinkState.Transfer)
        {
            double perc = TransferSize != 0 ? (double)TransferRead / TransferSize * 100 : 0;
            info.Field("master_sync_total_bytes", TransferSize);
            info.Field("master_sync_read_bytes", TransferRead);
            info.Field("master_sync_left_bytes", TransferSize - TransferRead);
            info.Field("master_sync_perc", perc.ToString("F2", CultureInfo.InvariantCulture));
            info.Field("master_sync_last_io_seconds_ago", TransferLastIoSeconds);
        }
        if (State != ReplicaLinkState.Connected) info.Field("master_link_down_since_seconds", LinkDownSinceSeconds);
        var cfg = Settings;
        info.Field("slave_priority", cfg.Priority);
        info.Field("slave_read_only", cfg.ReadOnly ? 1 : 0);
        info.Field("replica_announced", cfg.Announced ? 1 : 0);
    }
}
