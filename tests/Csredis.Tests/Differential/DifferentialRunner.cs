// Plays one script against a reference server (real Redis) and a candidate server (csredis, or Redis
// again in self-check mode), step by step on one connection per side, and records every disagreement:
// reply bytes (per compare mode), missing replies and whether the server closed the connection.
// Later mismatches can be consequences of earlier ones; the report lists the first ones in order.
using System.Text;
using Csredis.Tests.Infrastructure;

namespace Csredis.Tests.Differential;

public sealed class DifferentialRunner
{
    /// <summary>Mismatches reported per script before giving up; CSREDIS_DIFF_MAX overrides it.</summary>
    public static readonly int MaxReportedMismatches =
        int.TryParse(Environment.GetEnvironmentVariable("CSREDIS_DIFF_MAX"), out var max) && max > 0 ? max : 10;
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RawFirstByteWindow = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan RawQuietWindow = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan CloseAfterQuitWindow = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan CandidateCloseWindow = TimeSpan.FromSeconds(1);

    private readonly ServerProcess _reference;
    private readonly ServerProcess _candidate;
    private readonly List<string> _mismatches = [];
    private int _stepsRun;

    private readonly Action<string>? _trace;

    /// <param name="trace">Receives every step with both outcomes, for writing and debugging scripts.</param>
    public DifferentialRunner(ServerProcess reference, ServerProcess candidate, Action<string>? trace = null)
    {
        _reference = reference;
        _candidate = candidate;
        _trace = trace;
    }

    /// <summary>Outcome of one step on one server.</summary>
    private sealed record Outcome(byte[]? Reply, bool Closed)
    {
        public string Describe() =>
            (Reply == null ? "(no reply)" : Reply.Length == 0 ? "(nothing)" : RespFrame.Escape(Reply)) + (Closed ? " [connection closed]" : "");
    }

    /// <summary>Runs the script; returns the mismatch descriptions (empty when the servers agree).</summary>
    public IReadOnlyList<string> Run(DifferentialScript script)
    {
        foreach (var section in script.Sections)
        {
            RawClient? reference = null, candidate = null;
            try
            {
                foreach (var step in section.Steps)
                {
                    if (step.Mode == CompareMode.Sleep)
                    {
                        Thread.Sleep(step.SleepMilliseconds);
                        continue;
                    }
                    reference ??= new RawClient(_reference.Port);
                    if (candidate == null)
                    {
                        try { candidate = new RawClient(_candidate.Port); }
                        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or TimeoutException)
                        {
                            Record(script, section, step, "candidate refused the connection: " + e.Message);
                            return Finish();
                        }
                    }
                    _stepsRun++;
                    Outcome expected, actual;
                    if (step.Mode == CompareMode.Raw)
                    {
                        // Raw steps wait for silence; waiting on both sides at once halves that cost.
                        var referenceClient = reference;
                        var referenceRead = Task.Run(() => PlayRaw(referenceClient, step));
                        actual = PlayRaw(candidate, step);
                        expected = referenceRead.GetAwaiter().GetResult();
                        if (expected.Closed && !actual.Closed)
                            actual = actual with { Closed = candidate.IsClosedByPeer(CandidateCloseWindow) };
                    }
                    else
                    {
                        expected = Play(reference, step, isReference: true, referenceClosed: false);
                        actual = Play(candidate, step, isReference: false, referenceClosed: expected.Closed);
                    }
                    _trace?.Invoke($"{step.LineNumber,4} {step.Source}\n       {_reference.Name,-8} {expected.Describe()}\n       {_candidate.Name,-8} {actual.Describe()}");
                    if (!Agree(step, expected, actual))
                        Record(script, section, step, $"\n    {_reference.Name,-8} {expected.Describe()}\n    {_candidate.Name,-8} {actual.Describe()}" + FieldDifference(step, expected, actual));
                    if (_candidate.HasExited)
                    {
                        Record(script, section, step, $"{_candidate.Name} exited with code {_candidate.ExitCode} after this step.\n{_candidate.Describe()}");
                        return Finish();
                    }
                    if (_mismatches.Count >= MaxReportedMismatches)
                        return Finish();
                    // Keep both sides in the same connection state: reconnect a closed side and its twin.
                    if (expected.Closed || actual.Closed)
                    {
                        reference.Dispose(); reference = null;
                        candidate.Dispose(); candidate = null;
                    }
                }
            }
            finally
            {
                reference?.Dispose();
                candidate?.Dispose();
            }
        }
        return Finish();
    }

    public int StepsRun => _stepsRun;

    private IReadOnlyList<string> Finish() => _mismatches;

    private void Record(DifferentialScript script, ScriptSection section, ScriptStep step, string detail) =>
        _mismatches.Add($"{script.Name}:{step.LineNumber} [{section.Name}] {step.Source}{(detail.StartsWith('\n') ? "" : "\n    ")}{detail}");

    /// <summary>For @fields steps, the field names one side has and the other lacks (INFO replies are long).</summary>
    private string FieldDifference(ScriptStep step, Outcome expected, Outcome actual)
    {
        if (step.Mode != CompareMode.Fields || expected.Reply == null || actual.Reply == null)
            return "";
        try
        {
            var expectedText = RespFrame.Parse(expected.Reply).Payload;
            var actualText = RespFrame.Parse(actual.Reply).Payload;
            if (expectedText == null || actualText == null)
                return "";
            var expectedFields = ReplyComparison.FieldSkeleton(expectedText).ToList();
            var actualFields = ReplyComparison.FieldSkeleton(actualText).ToList();
            var missing = expectedFields.Except(actualFields).ToList();
            var extra = actualFields.Except(expectedFields).ToList();
            var text = $"\n    {_candidate.Name} lacks: {(missing.Count == 0 ? "-" : string.Join(' ', missing))}" +
                       $"\n    {_candidate.Name} adds:  {(extra.Count == 0 ? "-" : string.Join(' ', extra))}";
            return missing.Count == 0 && extra.Count == 0 ? text + " (same fields, different order)" : text;
        }
        catch (FormatException)
        {
            return "";
        }
    }

    private static bool Agree(ScriptStep step, Outcome expected, Outcome actual)
    {
        if (expected.Closed != actual.Closed)
            return false;
        if (expected.Reply == null || actual.Reply == null)
            return expected.Reply == null && actual.Reply == null;
        return ReplyComparison.Agree(step.Mode, expected.Reply, actual.Reply);
    }

    /// <summary>Sends raw bytes; the outcome is everything sent back until the server goes quiet.</summary>
    private static Outcome PlayRaw(RawClient client, ScriptStep step)
    {
        try
        {
            client.SendRaw(step.RawBytes);
        }
        catch (System.Net.Sockets.SocketException)
        {
            return new Outcome(null, true);
        }
        var everything = client.ReadUntilQuiet(RawFirstByteWindow, RawQuietWindow, ReplyTimeout);
        return new Outcome(everything, client.IsClosedByPeer());
    }

    private static Outcome Play(RawClient client, ScriptStep step, bool isReference, bool referenceClosed)
    {
        try
        {
            client.SendRaw(RawClient.EncodeCommand(step.Arguments));
        }
        catch (System.Net.Sockets.SocketException)
        {
            return new Outcome(null, true);
        }

        byte[]? reply;
        try
        {
            reply = client.TryReadRawReply(ReplyTimeout, out var r) ? r : null;
        }
        catch (IOException)
        {
            return new Outcome(null, true);
        }
        catch (FormatException e)
        {
            // The stream is out of sync from here on: report it and make the runner reconnect.
            return new Outcome(Encoding.UTF8.GetBytes("(unparsable reply: " + e.Message + ")"), true);
        }

        // Only QUIT and protocol errors (a command completing an earlier malformed @raw step) close the
        // connection: checking only there keeps ordinary steps free of waiting.
        var mayClose = step.CommandName == "QUIT" || reply.AsSpan().StartsWith("-ERR Protocol error"u8);
        bool isClosed;
        if (isReference)
            isClosed = mayClose && client.IsClosedByPeer(CloseAfterQuitWindow);
        else
            isClosed = client.IsClosedByPeer(referenceClosed ? CandidateCloseWindow : TimeSpan.Zero);
        return new Outcome(reply, isClosed);
    }
}
