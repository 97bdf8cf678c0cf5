// Pub/Sub commands: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE SSUBSCRIBE SUNSUBSCRIBE PUBLISH
// SPUBLISH and PUBSUB CHANNELS|NUMSUB|NUMPAT|SHARDCHANNELS|SHARDNUMSUB|HELP. The subscription
// state and delivery are in PubSub.cs.
using Csredis.Common.Text;
using Csredis.Server.Networking;

namespace Csredis.Server.Commands;

public static class PubSubCommands
{
    const CommandFlags SubFlags = CommandFlags.PubSub | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale;
    const CommandFlags PubFlags = CommandFlags.PubSub | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast | CommandFlags.MayReplicate;
    const CommandFlags InfoFlags = CommandFlags.PubSub | CommandFlags.Loading | CommandFlags.Stale;

    public static void Register(CommandTable t)
    {
        string[] slow = ["pubsub", "slow"];
        t.Add(new Command { Name = "subscribe", Arity = -2, Flags = SubFlags, Handler = c => SubscribeEach(c, SubscriptionKind.Channel), Group = "pubsub", Since = "2.0.0", Categories = slow });
        t.Add(new Command { Name = "psubscribe", Arity = -2, Flags = SubFlags, Handler = c => SubscribeEach(c, SubscriptionKind.Pattern), Group = "pubsub", Since = "2.0.0", Categories = slow });
        t.Add(new Command { Name = "ssubscribe", Arity = -2, Flags = SubFlags, Handler = c => SubscribeEach(c, SubscriptionKind.Shard), FirstKey = 1, LastKey = -1, KeyStep = 1, Group = "pubsub", Since = "7.0.0", Categories = slow });
        t.Add(new Command { Name = "unsubscribe", Arity = -1, Flags = SubFlags, Handler = c => UnsubscribeEach(c, SubscriptionKind.Channel), Group = "pubsub", Since = "2.0.0", Categories = slow });
        t.Add(new Command { Name = "punsubscribe", Arity = -1, Flags = SubFlags, Handler = c => UnsubscribeEach(c, SubscriptionKind.Pattern), Group = "pubsub", Since = "2.0.0", Categories = slow });
        t.Add(new Command { Name = "sunsubscribe", Arity = -1, Flags = SubFlags, Handler = c => UnsubscribeEach(c, SubscriptionKind.Shard), FirstKey = 1, LastKey = -1, KeyStep = 1, Group = "pubsub", Since = "7.0.0", Categories = slow });
        t.Add(new Command { Name = "publish", Arity = 3, Flags = PubFlags, Handler = c => c.Reply.Integer(c.Server.PubSub.Publish(c.Arg(1), c.Arg(2))), Group = "pubsub", Since = "2.0.0", Categories = ["pubsub", "fast"] });
        t.Add(new Command { Name = "spublish", Arity = 3, Flags = PubFlags, Handler = c => c.Reply.Integer(c.Server.PubSub.Publish(c.Arg(1), c.Arg(2), shard: true)), FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "pubsub", Since = "7.0.0", Categories = ["pubsub", "fast"] });
        t.Add(new Command { Name = "pubsub", Arity = -2, Flags = CommandFlags.None, Handler = _ => { }, Group = "pubsub", Since = "2.8.0", Categories = ["slow"] }.WithSubcommands(
            new Command { Name = "pubsub|channels", Arity = -2, Flags = InfoFlags, Handler = c => Channels(c, shard: false), Group = "pubsub", Since = "2.8.0", Categories = slow },
            new Command { Name = "pubsub|shardchannels", Arity = -2, Flags = InfoFlags, Handler = c => Channels(c, shard: true), Group = "pubsub", Since = "7.0.0", Categories = slow },
            new Command { Name = "pubsub|numsub", Arity = -2, Flags = InfoFlags, Handler = c => NumSub(c, shard: false), Group = "pubsub", Since = "2.8.0", Categories = slow },
            new Command { Name = "pubsub|shardnumsub", Arity = -2, Flags = InfoFlags, Handler = c => NumSub(c, shard: true), Group = "pubsub", Since = "7.0.0", Categories = slow },
            new Command { Name = "pubsub|numpat", Arity = 2, Flags = InfoFlags, Handler = c => c.Reply.Integer(c.Server.PubSub.PatternCount), Group = "pubsub", Since = "2.8.0", Categories = slow },
            new Command { Name = "pubsub|help", Arity = 2, Flags = CommandFlags.Loading | CommandFlags.Stale, Handler = Help, Group = "pubsub", Since = "6.2.0", Categories = ["slow"] }));
    }

    static void SubscribeEach(Client c, SubscriptionKind kind)
    {
        // Inside EXEC only plain and pattern subscriptions are accepted, as in Redis 7.0.
        if (kind == SubscriptionKind.Shard && (c.Flags & ClientFlags.Multi) != 0)
        {
            c.Error("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client"u8);
            return;
        }
        c.OutputIsPushes = true;
        for (int j = 1; j < c.Argc; j++) c.Server.PubSub.Subscribe(c, c.Arg(j), kind);
    }

    static void UnsubscribeEach(Client c, SubscriptionKind kind)
    {
        c.OutputIsPushes = true;
        if (c.Argc == 1) c.Server.PubSub.UnsubscribeAll(c, kind);
        else for (int j = 1; j < c.Argc; j++) c.Server.PubSub.Unsubscribe(c, c.Arg(j), kind);
    }

    static void Channels(Client c, bool shard)
    {
        if (c.Argc > 3)
        {
            c.Error("ERR unknown subcommand or wrong number of arguments for '" + c.ArgString(1) + "'. Try PUBSUB HELP.");
            return;
        }
        var matches = new List<byte[]>();
        foreach (var name in c.Server.PubSub.ChannelNames(shard))
            if (c.Argc == 2 || Glob.Match(c.Arg(2), name)) matches.Add(name);
        c.Reply.ArrayHeader(matches.Count);
        foreach (var name in matches) c.Reply.Bulk(name);
    }

    static void NumSub(Client c, bool shard)
    {
        c.Reply.ArrayHeader((c.Argc - 2) * 2);
        for (int j = 2; j < c.Argc; j++)
        {
            c.Reply.Bulk(c.Arg(j));
            c.Reply.Integer(c.Server.PubSub.SubscriberCount(c.Arg(j), shard));
        }
    }

    static void Help(Client c)
    {
        string[] lines =
        [
            "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
            "HELP",
            "    Prints this help.",
        ];
        c.Reply.ArrayHeader(lines.Length);
        foreach (var line in lines) c.Reply.SimpleString(line);
    }
}
