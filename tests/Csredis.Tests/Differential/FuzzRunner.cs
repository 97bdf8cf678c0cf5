// Plays fuzz sequences (FuzzGenerator) against a reference server (real Redis) and a candidate
// (csredis, or Redis again for the self-check) after FLUSHALL on fresh connections, compares every
// reply under its step's FuzzCheck, then compares DEBUG DIGEST of the whole data set (naming the keys
// whose DEBUG DIGEST-VALUE differ). A crashed candidate is restarted for the next play. Shrink()
// delta-debugs a failing sequence down to the shortest one that still fails the same way.
using System.Text;
using Csredis.Tests.Infrastructure;

namespace Csredis.Tests.Differential;

/// <summary>Where a play went wrong: a step (its index), or the final digest (StepIndex = -1).</summary>
public sealed record FuzzFailure(int StepIndex, string Kind, string Detail);

public sealed class FuzzRunner : IDisposable
{
    // hz 100: Redis checks blocked clients' timeouts only when its event loop wakes (every 1000/hz ms).
    public static readonly string[] ServerArguments = ["--enable-debug-command", "yes", "--hz", "100"];
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(3);
    private const long SecondsTolerance = 2, MillisecondsTolerance = 2000;

    private readonly string _candidateName;
    private ServerProcess _reference;
    private ServerProcess _candidate;

    public int Plays { get; private set; }

    /// <summary>CSREDIS_FUZZ_TRACE=file: every step played and the reference's reply, appended.</summary>
    private static readonly TextWriter? Trace = Environment.GetEnvironmentVariable("CSREDIS_FUZZ_TRACE") is { Length: > 0 } path
        ? TextWriter.Synchronized(new StreamWriter(path, append: true) { AutoFlush = true })
        : null;

    public FuzzRunner(string candidateName)
    {
        _candidateName = candidateName;
        _reference = ServerProcess.StartRedis(ServerArguments);
        try { _candidate = ServerProcess.Start(candidateName, ServerArguments); }
        catch { _reference.Dispose(); throw; }
    }

    public string CandidateName => _candidateName;

    private void EnsureRunning()
    {
        if (_reference.HasExited) { _reference.Dispose(); _reference = ServerProcess.StartRedis(ServerArguments); }
        if (_candidate.HasExited) { _candidate.Dispose(); _candidate = ServerProcess.Start(_candidateName, ServerArguments); }
    }

    /// <summary>Plays one sequence from an empty data set; null when both servers agreed throughout.</summary>
    public FuzzFailure? Play(IReadOnlyList<FuzzStep> setup, IReadOnlyList<FuzzStep> steps)
    {
        Plays++;
        EnsureRunning();
        try
        {
            using (var r = new RawClient(_reference.Port))
            using (var c = new RawClient(_candidate.Port))
            {
                var session = new Session(this, r, c);
                foreach (var flush in new[] { new FuzzStep([Encoding.ASCII.GetBytes("FLUSHALL")], FuzzCheck.Exact) }.Concat(setup))
                {
                    if (session.Run(flush) is { } problem)
                        return new FuzzFailure(-2, "setup", problem);
                }
                for (var i = 0; i < steps.Count; i++)
                {
                    if (session.Run(steps[i]) is { } problem)
                        return new FuzzFailure(i, steps[i].Name, problem);
                    if (_candidate.HasExited)
                        return new FuzzFailure(i, steps[i].Name, $"{_candidate.Name} exited with code {_candidate.ExitCode} after this step.\n{Tail(_candidate.LogText)}");
                }
            }
            return CompareDigests();
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or TimeoutException or FormatException)
        {
            var exited = _candidate.HasExited ? $" ({_candidate.Name} exited with code {_candidate.ExitCode})\n{Tail(_candidate.LogText)}" : "";
            return new FuzzFailure(steps.Count, "connection", e.GetType().Name + ": " + e.Message + exited);
        }
    }

    private static string Tail(string log) => log.Length > 3000 ? log[^3000..] : log;

    private FuzzFailure? CompareDigests()
    {
        using var r = new RawClient(_reference.Port);
        using var c = new RawClient(_candidate.Port);
        var expected = r.Execute("DEBUG", "DIGEST");
        var actual = c.Execute("DEBUG", "DIGEST");
        if (expected.AsSpan().SequenceEqual(actual))
            return null;
        var detail = new StringBuilder($"DEBUG DIGEST\n    {_reference.Name,-8} {RespFrame.Escape(expected)}\n    {_candidate.Name,-8} {RespFrame.Escape(actual)}");
        foreach (var db in new[] { "0", "1" })
        {
            r.Execute("SELECT", db);
            c.Execute("SELECT", db);
            var keys = KeysOf(r).Union(KeysOf(c)).Order(StringComparer.Ordinal);
            foreach (var key in keys)
            {
                var left = r.Execute("DEBUG", "DIGEST-VALUE", key);
                var right = c.Execute("DEBUG", "DIGEST-VALUE", key);
                if (!left.AsSpan().SequenceEqual(right))
                    detail.Append($"\n    db {db} key {key}: {_reference.Name} {Describe(r, key)}, {_candidate.Name} {Describe(c, key)}");
            }
        }
        return new FuzzFailure(-1, "DIGEST", detail.ToString());
    }

    private static IEnumerable<string> KeysOf(RawClient client) =>
        RespFrame.Parse(client.Execute("KEYS", "*")).Children.Select(k => Encoding.Latin1.GetString(k.Payload!));

    private static string Describe(RawClient client, string key)
    {
        var type = RespFrame.Parse(client.Execute("TYPE", key)).Text;
        var encoding = RespFrame.Parse(client.Execute("OBJECT", "ENCODING", key)).Text;
        var content = type switch
        {
            "string" => client.Execute("GET", key),
            "list" => client.Execute("LRANGE", key, "0", "-1"),
            "set" => client.Execute("SMEMBERS", key),
            "zset" => client.Execute("ZRANGE", key, "0", "-1", "WITHSCORES"),
            "hash" => client.Execute("HGETALL", key),
            _ => [],
        };
        var text = RespFrame.Escape(content);
        return $"{type}/{encoding} {(text.Length > 300 ? text[..300] + "..." : text)}";
    }

    /// <summary>One play's pair of connections and its MULTI bookkeeping (what EXEC's elements are).</summary>
    private sealed class Session(FuzzRunner runner, RawClient r, RawClient c)
    {
        private bool _inMulti;
        private readonly List<FuzzCheck> _queued = [];

        /// <summary>Runs a step on both sides; a description of the disagreement, or null.</summary>
        public string? Run(FuzzStep step)
        {
            if (_inMulti && step.Check is FuzzCheck.PopSync or FuzzCheck.ScanAll)
                return null; // shrinking can move these into a transaction: their replies are random there
            var check = step.Check;
            if (!_inMulti && check is FuzzCheck.OrderedIfCompact or FuzzCheck.OrderedPairsIfCompact or FuzzCheck.ExactIfCompact)
            {
                var encoding = RespFrame.Parse(r.Execute([Encoding.ASCII.GetBytes("OBJECT"), Encoding.ASCII.GetBytes("ENCODING"), step.Arguments.Length > 1 ? step.Arguments[1] : []])).Text;
                check = encoding != "hashtable" ? FuzzCheck.Exact : check switch
                {
                    FuzzCheck.OrderedIfCompact => FuzzCheck.Sorted,
                    FuzzCheck.OrderedPairsIfCompact => FuzzCheck.SortedPairs,
                    _ => FuzzCheck.Shape,
                };
            }
            byte[] expected, actual;
            if (check == FuzzCheck.ScanAll)
            {
                expected = ScanAll(r, step.Arguments);
                actual = ScanAll(c, step.Arguments);
                check = FuzzCheck.Exact;
            }
            else
            {
                expected = Execute(r, step.Arguments, runner._reference.Name);
                actual = Execute(c, step.Arguments, runner._candidate.Name);
            }

            Trace?.WriteLine($"{step.ToScriptLine()}\n    {Shorten(expected)}");
            var name = step.Name;
            var agree = _inMulti && name == "EXEC" ? AgreeExec(expected, actual) : Agree(check, expected, actual);
            if (_inMulti)
            {
                if (name is "EXEC" or "DISCARD") { _inMulti = false; _queued.Clear(); }
                else if (expected.AsSpan().SequenceEqual("+QUEUED\r\n"u8)) _queued.Add(InTransaction(step.Check));
            }
            else if (name == "MULTI" && expected.AsSpan().SequenceEqual("+OK\r\n"u8))
            {
                _inMulti = true;
            }
            if (!agree)
                return $"\n    {runner._reference.Name,-8} {Shorten(expected)}\n    {runner._candidate.Name,-8} {Shorten(actual)}";
            if (check == FuzzCheck.RandomMembers && !_inMulti && step.Arguments.Length > 1 && ForeignMember(step, actual) is { } foreign)
                return $"\n    {runner._candidate.Name} picked {foreign}, which {RespFrame.Escape(step.Arguments[1])} does not hold in {runner._reference.Name}" +
                       $"\n    {runner._reference.Name,-8} {Shorten(expected)}\n    {runner._candidate.Name,-8} {Shorten(actual)}";
            if (check == FuzzCheck.PopSync && !_inMulti && step.Arguments.Length > 1)
                SyncPopped(step.Arguments[1], expected, actual);
            return null;
        }

        private static FuzzCheck InTransaction(FuzzCheck check) => check switch
        {
            FuzzCheck.OrderedIfCompact => FuzzCheck.Sorted,
            FuzzCheck.OrderedPairsIfCompact => FuzzCheck.SortedPairs,
            FuzzCheck.PopSync or FuzzCheck.ScanAll or FuzzCheck.RandomMembers or FuzzCheck.ExactIfCompact => FuzzCheck.Shape,
            _ => check,
        };

        private bool AgreeExec(byte[] expected, byte[] actual)
        {
            var e = RespFrame.Parse(expected);
            var a = RespFrame.Parse(actual);
            if (e.Type != '*' || e.IsNull || a.Type != '*' || e.Children.Count != a.Children.Count || e.Children.Count != _queued.Count)
                return expected.AsSpan().SequenceEqual(actual);
            for (var i = 0; i < _queued.Count; i++)
            {
                if (!Agree(_queued[i], e.Children[i].Raw, a.Children[i].Raw))
                    return false;
            }
            return true;
        }

        /// <summary>The first member (or member and value/score) of the candidate's random pick that the
        /// reference's key does not hold, escaped; null when all are there.</summary>
        private string? ForeignMember(FuzzStep step, byte[] actual)
        {
            var reply = RespFrame.Parse(actual);
            if (reply.IsError || reply.IsNull)
                return null;
            var key = step.Arguments[1];
            var withValues = step.Arguments.Length > 3;
            byte[][] universeCommand = step.Name switch
            {
                "SRANDMEMBER" => [Encoding.ASCII.GetBytes("SMEMBERS"), key],
                "HRANDFIELD" => withValues ? [Encoding.ASCII.GetBytes("HGETALL"), key] : [Encoding.ASCII.GetBytes("HKEYS"), key],
                _ => withValues ? [Encoding.ASCII.GetBytes("ZRANGE"), key, "0"u8.ToArray(), "-1"u8.ToArray(), "WITHSCORES"u8.ToArray()] : [Encoding.ASCII.GetBytes("ZRANGE"), key, "0"u8.ToArray(), "-1"u8.ToArray()],
            };
            var universe = new HashSet<byte[]>(Elements(RespFrame.Parse(Execute(r, universeCommand, runner._reference.Name)), withValues), ByteEquality);
            foreach (var element in Elements(reply, withValues))
            {
                if (!universe.Contains(element))
                    return RespFrame.Escape(element);
            }
            return null;
        }

        /// <summary>Members as raw frames, or member+value pairs (flat RESP2 arrays and maps, or RESP3 nested pairs).</summary>
        private static IEnumerable<byte[]> Elements(RespFrame frame, bool pairs)
        {
            if (!frame.IsAggregate)
            {
                yield return frame.Raw;
                yield break;
            }
            var children = frame.Children;
            for (var i = 0; i < children.Count; i++)
            {
                if (children[i].Type == '*' && children[i].Children.Count == 2)
                    yield return [.. children[i].Children[0].Raw, .. children[i].Children[1].Raw];
                else if (pairs && i + 1 < children.Count)
                    yield return [.. children[i].Raw, .. children[++i].Raw];
                else
                    yield return children[i].Raw;
            }
        }

        /// <summary>Makes the candidate's set hold what the reference's holds after both popped at random.</summary>
        private void SyncPopped(byte[] key, byte[] expected, byte[] actual)
        {
            var popped = Members(expected);
            var candidatePopped = Members(actual);
            if (popped.Order(ByteOrder).SequenceEqual(candidatePopped.Order(ByteOrder), ByteEquality))
                return;
            if (candidatePopped.Count > 0)
                Execute(c, [Encoding.ASCII.GetBytes("SADD"), key, .. candidatePopped], runner._candidate.Name);
            if (popped.Count > 0)
                Execute(c, [Encoding.ASCII.GetBytes("SREM"), key, .. popped], runner._candidate.Name);
        }

        private static List<byte[]> Members(byte[] reply)
        {
            var frame = RespFrame.Parse(reply);
            if (frame.Type == '$' && frame.Payload != null)
                return [frame.Payload];
            return frame.Type is '*' or '~' ? frame.Children.Where(ch => ch.Payload != null).Select(ch => ch.Payload!).ToList() : [];
        }

        /// <summary>A whole SCAN-family iteration: the distinct elements (pairs for HSCAN/ZSCAN), sorted,
        /// as one RESP array; an error reply as it is.</summary>
        private byte[] ScanAll(RawClient client, byte[][] arguments)
        {
            var name = Encoding.ASCII.GetString(arguments[0]).ToUpperInvariant();
            var cursorIndex = name == "SCAN" ? 1 : 2;
            var pairs = name is "HSCAN" or "ZSCAN";
            var seen = new SortedSet<byte[]>(ByteOrder);
            var args = (byte[][])arguments.Clone();
            for (var round = 0; round < 10_000; round++)
            {
                var reply = Execute(client, args, client == r ? runner._reference.Name : runner._candidate.Name);
                var frame = RespFrame.Parse(reply);
                if (frame.Type != '*' || frame.Children.Count != 2)
                    return reply;
                var batch = frame.Children[1].Children;
                for (var i = 0; i < batch.Count; i += pairs ? 2 : 1)
                    seen.Add(pairs && i + 1 < batch.Count ? [.. batch[i].Raw, .. batch[i + 1].Raw] : batch[i].Raw);
                var cursor = frame.Children[0].Payload!;
                if (cursor is [(byte)'0'])
                    break;
                args[cursorIndex] = cursor;
            }
            var output = new MemoryStream();
            output.Write(Encoding.ASCII.GetBytes($"*{seen.Count}\r\n"));
            foreach (var element in seen) output.Write(element);
            return output.ToArray();
        }

        private static byte[] Execute(RawClient client, byte[][] arguments, string side)
        {
            client.Send(arguments);
            return client.TryReadRawReply(ReplyTimeout, out var reply)
                ? reply
                : throw new TimeoutException($"{side} sent no reply within {ReplyTimeout.TotalSeconds} s to {string.Join(' ', arguments.Select(FuzzStep.Quote))}");
        }
    }

    private static readonly Comparer<byte[]> ByteOrder = Comparer<byte[]>.Create((a, b) => a.AsSpan().SequenceCompareTo(b));
    private static readonly EqualityComparer<byte[]> ByteEquality = EqualityComparer<byte[]>.Create((a, b) => a.AsSpan().SequenceEqual(b), a => a.Length);

    private static string Shorten(byte[] reply)
    {
        var text = RespFrame.Escape(reply);
        return text.Length > 800 ? text[..800] + $"... ({reply.Length} bytes)" : text;
    }

    public static bool Agree(FuzzCheck check, byte[] expected, byte[] actual)
    {
        if (expected.AsSpan().SequenceEqual(actual))
            return true;
        RespFrame e, a;
        try { e = RespFrame.Parse(expected); a = RespFrame.Parse(actual); }
        catch (FormatException) { return false; }
        if (e.IsError || a.IsError)
            return false;
        switch (check)
        {
            case FuzzCheck.Sorted:
                return ReplyComparison.SameWhenSorted(e, a);
            case FuzzCheck.SortedPairs:
                return ReplyComparison.SamePairsWhenSorted(e, a);
            case FuzzCheck.Shape:
            case FuzzCheck.RandomMembers:
            case FuzzCheck.PopSync:
                return ReplyComparison.SameShape(e, a);
            case FuzzCheck.Seconds:
            case FuzzCheck.Milliseconds:
                return ReplyComparison.SameWithinTolerance(e, a, check == FuzzCheck.Seconds ? SecondsTolerance : MillisecondsTolerance);
            default:
                return false;
        }
    }

    /// <summary>Delta debugging: removes chunks of steps (halves, quarters... single steps) as long as the
    /// sequence still fails with the same kind of failure; returns the shortest sequence found.</summary>
    public (List<FuzzStep> Steps, FuzzFailure Failure) Shrink(IReadOnlyList<FuzzStep> setup, List<FuzzStep> steps, FuzzFailure failure, TimeSpan budget)
    {
        var deadline = DateTime.UtcNow + budget;
        List<FuzzStep> Cut(List<FuzzStep> s, FuzzFailure f) => f.StepIndex >= 0 && f.StepIndex < s.Count ? s[..(f.StepIndex + 1)] : s;
        var best = Cut(steps, failure);
        var bestFailure = failure;
        var granularity = 2;
        while (best.Count >= 2 && DateTime.UtcNow < deadline)
        {
            var chunk = (best.Count + granularity - 1) / granularity;
            var reduced = false;
            for (var start = 0; start < best.Count && DateTime.UtcNow < deadline; start += chunk)
            {
                var trial = best.Take(start).Concat(best.Skip(start + chunk)).ToList();
                if (Play(setup, trial) is { } f && f.Kind == failure.Kind)
                {
                    best = Cut(trial, f);
                    bestFailure = f;
                    granularity = Math.Max(granularity - 1, 2);
                    reduced = true;
                    break;
                }
            }
            if (!reduced)
            {
                if (granularity >= best.Count)
                    break;
                granularity = Math.Min(best.Count, granularity * 2);
            }
        }
        return (best, bestFailure);
    }

    public void Dispose()
    {
        _reference.Dispose();
        _candidate.Dispose();
    }
}
