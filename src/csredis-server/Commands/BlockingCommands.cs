// Blocking commands and CLIENT UNBLOCK. The parking, wake-up and timeout machinery is in
// Blocking.cs; a blocking command here only tries its non-blocking form, and when there is
// nothing to take it either answers at once (inside MULTI) or parks the client on its keys.
using Csredis.Common.Text;
using Csredis.Server.Networking;

namespace Csredis.Server.Commands;

public static partial class BlockingCommands
{
    public static void Register(CommandTable t)
    {
        t.AttachSubcommand("client", new Command
        {
            Name = "client|unblock", Arity = -3,
            Flags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale,
            Handler = ClientUnblock, Group = "connection", Since = "5.0.0", Categories = ["admin", "slow", "dangerous", "connection"],
        });
        RegisterListCommands(t);
        RegisterSortedSetCommands(t);
    }

    static void ClientUnblock(Client c)
    {
        if (!NumberParsing.TryParseInt64(c.Arg(2), out long id))
        {
            c.Error(Errors.NotInteger);
            return;
        }
        bool withError = false;
        if (c.Argc == 4)
        {
            if (c.ArgIs(3, "error"u8)) withError = true;
            else if (!c.ArgIs(3, "timeout"u8))
            {
                c.Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"u8);
                return;
            }
        }
        else if (c.Argc > 4)
        {
            c.Error(Errors.Syntax);
            return;
        }
        if (!c.Server.Clients.TryGetValue(id, out var target) || target.BlockedOn == null)
        {
            c.Reply.Integer(0);
            return;
        }
        if (withError) c.Server.Blocking.UnblockWithError(target);
        else c.Server.Blocking.TimeOut(target);
        c.Reply.Integer(1);
    }
}
