// Our own replication stream while we are a replica: the bytes we apply from the master are our
// stream too, unchanged (same replication id and offsets), fed through the one entry point of the
// stream (ReplicationStream.Feed) so that our replicas follow the master through us (chained
// replication) and our backlog lets them, or anyone, continue with PSYNC once we are promoted.
// A replica always keeps a backlog; a full sync starts a new history, so the old backlog goes
// (Redis's freeReplicationBacklog in replicationAttachToNewMaster) and our replicas resync.
namespace Csredis.Server.Replication;

public sealed partial class ReplicaLink
{
    void FeedOwnStream(ReadOnlySpan<byte> bytes) => _server.Replication.Feed(bytes);

    /// <summary>The link is up: from here on the stream we apply is kept (created at the current offset).</summary>
    void KeepOwnStream() => _server.Replication.EnsureBacklog();

    /// <summary>A full sync replaces our history: nobody can continue the old one from us.</summary>
    void DropOwnStream() => _server.Replication.Backlog = null;
}
