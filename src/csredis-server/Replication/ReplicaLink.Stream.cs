// Our own replication stream while we are a replica: the bytes we apply from the master are our
// stream too, unchanged (same replication id and offsets), so that our replicas follow the
// master through us (chained replication) and, once we are promoted, can continue from our
// history with PSYNC.
namespace Csredis.Server.Replication;

public sealed partial class ReplicaLink
{
    void FeedOwnStream(ReadOnlySpan<byte> bytes)
    {
        _server.MasterReplOffset += bytes.Length;
    }
}
