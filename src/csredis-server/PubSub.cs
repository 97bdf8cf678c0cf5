// Publish/subscribe (Redis's pubsub.c). The server keeps channel -> subscribers and
// pattern -> subscribers (plus shard channels, which outside a cluster behave as a separate
// namespace of plain channels); each client keeps its own channels and patterns so that
// UNSUBSCRIBE without arguments, RESET and disconnects can undo them. Publish() writes the message
// frame straight into each receiver's reply buffer (RESP2 array or RESP3 push) and queues the
// write: nothing is allocated per receiver. Keyspace notifications and the sentinel's hello
// messages publish through the same Publish().
using Csredis.Common.Text;
using Csredis.Server.Commands;
using Csredis.Server.Networking;

namespace Csredis.Server;

public sealed class ClientSubscriptions
{
    public readonly HashSet<byte[]> Channels = new(KeyBytesComparer.Instance);
    /// <summary>Patterns in subscription order (PUNSUBSCRIBE without arguments answers in this order).</summary>
    public readonly List<byte[]> Patterns = new();
    public readonly HashSet<byte[]> ShardChannels = new(KeyBytesComparer.Instance);

    public int Count => Channels.Count + Patterns.Count;
    public int Total => Channels.Count + Patterns.Count + ShardChannels.Count;
}

public enum SubscriptionKind { Channel, Pattern, Shard }

public sealed class PubSub
{
    readonly RedisServer _server;
    readonly Dictionary<byte[], List<Client>> _channels = KeyBytesComparer.NewDictionary<List<Client>>();
    readonly Dictionary<byte[], List<Client>> _patterns = KeyBytesComparer.NewDictionary<List<Client>>();
    readonly Dictionary<byte[], List<Client>> _shardChannels = KeyBytesComparer.NewDictionary<List<Client>>();

    public PubSub(RedisServer server)
    {
        _server = server;
        server.CommandFilters.Add(SubscribedContextFilter);
        server.ClientClosing += UnsubscribeAllSilently;
        server.ClientResetting += UnsubscribeAllSilently;
        server.InfoCounters["pubsub_channels"] = () => _channels.Count;
        server.InfoCounters["pubsub_patterns"] = () => _patterns.Count;
        server.InfoCounters["pubsubshard_channels"] = () => _shardChannels.Count;
    }

    public int PatternCount => _patterns.Count;
    public IEnumerable<byte[]> ChannelNames(bool shard) => (shard ? _shardChannels : _channels).Keys;

    public int SubscriberCount(ReadOnlySpan<byte> channel, bool shard) =>
        (shard ? _shardChannels : _channels).GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(channel, out var list) ? list.Count : 0;

    /// <summary>RESP2 subscribers may only (un)subscribe, PING, QUIT and RESET (RESP3 clients may do anything).</summary>
    bool SubscribedContextFilter(Client c, Command cmd)
    {
        if ((c.Flags & ClientFlags.PubSub) == 0 || c.Protocol != 2) return true;
        switch (cmd.Name)
        {
            case "ping": case "subscribe": case "ssubscribe": case "unsubscribe": case "sunsubscribe":
            case "psubscribe": case "punsubscribe": case "quit": case "reset":
                return true;
        }
        _server.RejectCommand(c, cmd, System.Text.Encoding.UTF8.GetBytes(
            "ERR Can't execute '" + cmd.FullName + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"), formatted: true);
        return false;
    }

    Dictionary<byte[], List<Client>> TableOf(SubscriptionKind kind) =>
        kind switch { SubscriptionKind.Pattern => _patterns, SubscriptionKind.Shard => _shardChannels, _ => _channels };

    static ReadOnlySpan<byte> SubscribeWord(SubscriptionKind kind) =>
        kind switch { SubscriptionKind.Pattern => "psubscribe"u8, SubscriptionKind.Shard => "ssubscribe"u8, _ => "subscribe"u8 };

    static ReadOnlySpan<byte> UnsubscribeWord(SubscriptionKind kind) =>
        kind switch { SubscriptionKind.Pattern => "punsubscribe"u8, SubscriptionKind.Shard => "sunsubscribe"u8, _ => "unsubscribe"u8 };

    /// <summary>The count a (un)subscribe confirmation carries: shard subscriptions are counted apart.</summary>
    static int ConfirmationCount(ClientSubscriptions s, SubscriptionKind kind) =>
        kind == SubscriptionKind.Shard ? s.ShardChannels.Count : s.Count;

    public void Subscribe(Client c, ReadOnlySpan<byte> name, SubscriptionKind kind)
    {
        var subs = c.Subscriptions ??= new ClientSubscriptions();
        bool added = kind switch
        {
            SubscriptionKind.Pattern => AddPattern(subs, name),
            SubscriptionKind.Shard => subs.ShardChannels.Add(name.ToArray()),
            _ => subs.Channels.Add(name.ToArray()),
        };
        if (added)
        {
            var table = TableOf(kind);
            var lookup = table.GetAlternateLookup<ReadOnlySpan<byte>>();
            if (!lookup.TryGetValue(name, out var clients))
            {
                clients = new List<Client>(1);
                table[name.ToArray()] = clients;
            }
            clients.Add(c);
        }
        c.Flags |= ClientFlags.PubSub;
        Confirm(c, SubscribeWord(kind), name, ConfirmationCount(subs, kind));
    }

    static bool AddPattern(ClientSubscriptions subs, ReadOnlySpan<byte> pattern)
    {
        foreach (var p in subs.Patterns) if (p.AsSpan().SequenceEqual(pattern)) return false;
        subs.Patterns.Add(pattern.ToArray());
        return true;
    }

    /// <summary>Unsubscribes one name, confirming it to the client when <paramref name="notify"/>.</summary>
    public void Unsubscribe(Client c, ReadOnlySpan<byte> name, SubscriptionKind kind, bool notify = true)
    {
        var subs = c.Subscriptions;
        bool removed = false;
        if (subs != null)
        {
            switch (kind)
            {
                case SubscriptionKind.Pattern:
                    for (int i = 0; i < subs.Patterns.Count; i++)
                        if (subs.Patterns[i].AsSpan().SequenceEqual(name)) { subs.Patterns.RemoveAt(i); removed = true; break; }
                    break;
                case SubscriptionKind.Shard:
                    removed = subs.ShardChannels.GetAlternateLookup<ReadOnlySpan<byte>>().Remove(name);
                    break;
                default:
                    removed = subs.Channels.GetAlternateLookup<ReadOnlySpan<byte>>().Remove(name);
                    break;
            }
        }
        if (removed)
        {
            var table = TableOf(kind);
            var lookup = table.GetAlternateLookup<ReadOnlySpan<byte>>();
            if (lookup.TryGetValue(name, out var clients))
            {
                clients.Remove(c);
                if (clients.Count == 0) lookup.Remove(name);
            }
        }
        if (subs != null && subs.Total == 0) c.Flags &= ~ClientFlags.PubSub;
        if (notify) Confirm(c, UnsubscribeWord(kind), name, subs == null ? 0 : ConfirmationCount(subs, kind));
    }

    /// <summary>UNSUBSCRIBE/PUNSUBSCRIBE/SUNSUBSCRIBE without arguments: every name of that kind, or one null confirmation when there were none.</summary>
    public void UnsubscribeAll(Client c, SubscriptionKind kind, bool notify = true)
    {
        var subs = c.Subscriptions;
        byte[][] names = subs == null ? [] : kind switch
        {
            SubscriptionKind.Pattern => subs.Patterns.ToArray(),
            SubscriptionKind.Shard => subs.ShardChannels.ToArray(),
            _ => subs.Channels.ToArray(),
        };
        foreach (var name in names) Unsubscribe(c, name, kind, notify);
        if (names.Length == 0 && notify)
        {
            var r = c.Reply;
            r.PushHeader(3);
            r.Bulk(UnsubscribeWord(kind));
            r.Null();
            r.Integer(subs == null ? 0 : ConfirmationCount(subs, kind));
        }
    }

    void UnsubscribeAllSilently(Client c)
    {
        if (c.Subscriptions == null) return;
        UnsubscribeAll(c, SubscriptionKind.Channel, notify: false);
        UnsubscribeAll(c, SubscriptionKind.Pattern, notify: false);
        UnsubscribeAll(c, SubscriptionKind.Shard, notify: false);
        c.Subscriptions = null;
        c.Flags &= ~ClientFlags.PubSub;
    }

    static void Confirm(Client c, ReadOnlySpan<byte> word, ReadOnlySpan<byte> name, int count)
    {
        var r = c.Reply;
        r.PushHeader(3);
        r.Bulk(word);
        r.Bulk(name);
        r.Integer(count);
    }

    /// <summary>Delivers a message to channel subscribers, then to matching pattern subscribers; returns the receiver count.</summary>
    public int Publish(ReadOnlySpan<byte> channel, ReadOnlySpan<byte> message, bool shard = false)
    {
        int receivers = 0;
        var table = shard ? _shardChannels : _channels;
        if (table.Count > 0 && table.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(channel, out var clients))
        {
            // A receiver closed on its output limit is only scheduled for closing, so the list stays intact.
            foreach (var c in clients)
            {
                if (c.IsClosing) { receivers++; continue; }
                var r = c.Reply;
                r.PushHeader(3);
                r.Bulk(shard ? "smessage"u8 : "message"u8);
                r.Bulk(channel);
                r.Bulk(message);
                Delivered(c);
                receivers++;
            }
        }
        if (shard || _patterns.Count == 0) return receivers;
        foreach (var (pattern, patternClients) in _patterns)
        {
            if (!Glob.Match(pattern, channel)) continue;
            foreach (var c in patternClients)
            {
                if (c.IsClosing) { receivers++; continue; }
                var r = c.Reply;
                r.PushHeader(4);
                r.Bulk("pmessage"u8);
                r.Bulk(pattern);
                r.Bulk(channel);
                r.Bulk(message);
                Delivered(c);
                receivers++;
            }
        }
        return receivers;
    }

    void Delivered(Client c)
    {
        _server.QueueWrite(c);
        _server.OutputLimits.Check(c);
    }
}
