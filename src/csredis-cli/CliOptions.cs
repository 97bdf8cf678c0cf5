// Command-line options, parsed with redis-cli 7.0's rules: options come first, the first argument not
// starting with '-' begins the command, an unknown option or a missing value aborts with its message.
using System.Globalization;
using System.Text;

namespace Csredis.Cli;

public enum OutputMode { Standard, Raw, Csv, Json, QuotedJson }

public sealed class CliOptions
{
    public string Host = "127.0.0.1";
    public int Port = 6379;
    public string? UnixSocket;
    public string? Password;
    public string? User;
    public bool AskPass;
    public long Repeat = 1;
    public long IntervalMicroseconds;
    public int Database;
    public bool Resp3;
    public bool ExplicitResp2;
    public bool StdinLastArgument;
    public string? StdinTag;
    public byte[] BulkDelimiter = "\n"u8.ToArray();
    public byte[] ReplyDelimiter = "\n"u8.ToArray();
    public bool ClusterMode;
    public bool ExitCodeOnError;
    public OutputMode Output;
    public bool QuotedInput;
    public bool? ShowPushes;
    public bool NoAuthWarning;
    public bool Verbose;

    public bool StatMode, LatencyMode, LatencyHistory, LatencyDistMode, BigKeys, MemKeys, HotKeys, ScanMode, PipeMode, ReplicaMode, TopologyMode;
    public long MemKeysSamples;
    public string? RdbFile;
    public bool FunctionsRdbOnly;
    public int PipeTimeoutSeconds = 30;
    public byte[] Pattern = "*"u8.ToArray();
    public long? ScanCount;
    public string? EvalFile;
    public int IntrinsicLatencySeconds;

    public string[] Command = [];

    /// <summary>Parses argv; on a usage error prints redis-cli's message and exits.</summary>
    public static CliOptions Parse(string[] args, bool stdoutIsTerminal)
    {
        var o = new CliOptions { Output = stdoutIsTerminal ? OutputMode.Standard : OutputMode.Raw };
        int i = 0;
        for (; i < args.Length; i++)
        {
            string a = args[i];
            bool hasValue = i < args.Length - 1;
            string Next() => args[++i];
            if (a == "-h" && hasValue) o.Host = Next();
            else if (a == "-h") Usage.PrintHelpAndExit(exitCode: 0);
            else if (a == "--help") Usage.PrintHelpAndExit(exitCode: 0);
            else if (a == "-x") o.StdinLastArgument = true;
            else if (a == "-X" && hasValue) o.StdinTag = Next();
            else if (a == "-p" && hasValue) o.Port = (int)CParse.Atoi(Next());
            else if (a == "-s" && hasValue) o.UnixSocket = Next();
            else if (a == "-r" && hasValue) o.Repeat = CParse.Atoi(Next());
            else if (a == "-i" && hasValue) o.IntervalMicroseconds = (long)(CParse.Atof(Next()) * 1000000);
            else if (a == "-n" && hasValue) o.Database = (int)CParse.Atoi(Next());
            else if (a == "--no-auth-warning") o.NoAuthWarning = true;
            else if (a == "--askpass") o.AskPass = true;
            else if ((a == "-a" || a == "--pass") && hasValue) o.Password = Next();
            else if (a == "--user" && hasValue) o.User = Next();
            else if (a == "-u" && hasValue) ParseUri(Next(), o);
            else if (a == "--raw") o.Output = OutputMode.Raw;
            else if (a == "--no-raw") o.Output = OutputMode.Standard;
            else if (a == "--quoted-input") o.QuotedInput = true;
            else if (a == "--csv") o.Output = OutputMode.Csv;
            else if (a == "--json") o.Output = OutputMode.Json;
            else if (a == "--quoted-json") o.Output = OutputMode.QuotedJson;
            else if (a == "--latency") o.LatencyMode = true;
            else if (a == "--latency-dist") o.LatencyDistMode = true;
            else if (a == "--mono") { }
            else if (a == "--latency-history") { o.LatencyMode = true; o.LatencyHistory = true; }
            else if (a == "--stat") o.StatMode = true;
            else if (a == "--scan") o.ScanMode = true;
            else if (a == "--pattern" && hasValue) o.Pattern = Encoding.UTF8.GetBytes(Next());
            else if (a == "--quoted-pattern" && hasValue)
            {
                var parsed = Csredis.Common.Text.ArgSplitter.Split(Encoding.UTF8.GetBytes(Next()));
                if (parsed is not { Count: 1 })
                {
                    Stdio.Error("Invalid quoted string specified for --quoted-pattern.\n");
                    Environment.Exit(1);
                }
                o.Pattern = parsed[0];
            }
            else if (a == "--count" && hasValue) o.ScanCount = CParse.Atoi(Next());
            else if (a == "--intrinsic-latency" && hasValue) o.IntrinsicLatencySeconds = (int)CParse.Atoi(Next());
            else if (a == "--rdb" && hasValue) o.RdbFile = Next();
            else if (a == "--functions-rdb" && hasValue) { o.RdbFile = Next(); o.FunctionsRdbOnly = true; }
            else if (a == "--pipe") o.PipeMode = true;
            else if (a == "--pipe-timeout" && hasValue) o.PipeTimeoutSeconds = (int)CParse.Atoi(Next());
            else if (a == "--bigkeys") o.BigKeys = true;
            else if (a == "--memkeys") o.MemKeys = true;
            else if (a == "--memkeys-samples" && hasValue) { o.MemKeys = true; o.MemKeysSamples = CParse.Atoi(Next()); }
            else if (a == "--hotkeys") o.HotKeys = true;
            else if (a == "--eval" && hasValue) o.EvalFile = Next();
            else if (a == "-c") o.ClusterMode = true;
            else if (a == "-d" && hasValue) o.BulkDelimiter = Encoding.UTF8.GetBytes(Next());
            else if (a == "-D" && hasValue) o.ReplyDelimiter = Encoding.UTF8.GetBytes(Next());
            else if (a == "-e") o.ExitCodeOnError = true;
            else if (a == "--verbose") o.Verbose = true;
            else if (a == "--slave" || a == "--replica") o.ReplicaMode = true;
            else if (a == "--topology") o.TopologyMode = true;
            else if (a == "-2") { o.Resp3 = false; o.ExplicitResp2 = true; }
            else if (a == "-3") o.Resp3 = true;
            else if (a == "--show-pushes" && hasValue)
            {
                string v = Next();
                if (v.Equals("yes", StringComparison.OrdinalIgnoreCase)) o.ShowPushes = true;
                else if (v.Equals("no", StringComparison.OrdinalIgnoreCase)) o.ShowPushes = false;
                else
                {
                    Stdio.Error($"Unknown --show-pushes value '{v}' (valid: '[y]es', '[n]o')\n");
                    Environment.Exit(1);
                }
            }
            else if (a == "-v" || a == "--version")
            {
                Stdio.Out(Usage.VersionLine + "\n");
                Environment.Exit(0);
            }
            else if (a.StartsWith('-'))
            {
                Stdio.Error($"Unrecognized option or bad number of args for: '{a}'\n");
                Environment.Exit(1);
            }
            else break;
        }
        o.Command = args[i..];
        // JSON output speaks RESP3 (maps become objects) unless -2 asked otherwise.
        if (o.Output is OutputMode.Json or OutputMode.QuotedJson && !o.ExplicitResp2) o.Resp3 = true;
        if (!o.NoAuthWarning && o.Password is not null)
            Stdio.Error("Warning: Using a password with '-a' or '-u' option on the command line interface may not be safe.\n");
        return o;
    }

    // redis://[[user]:password@]host[:port][/db]; a bare userinfo without ':' is the password.
    private static void ParseUri(string uri, CliOptions o)
    {
        const string plain = "redis://", secure = "rediss://";
        string rest;
        if (uri.StartsWith(plain, StringComparison.OrdinalIgnoreCase)) rest = uri[plain.Length..];
        else if (uri.StartsWith(secure, StringComparison.OrdinalIgnoreCase))
        {
            Stdio.Error("Insecure scheme rediss:// is not supported: csredis-cli was built without TLS.\n");
            Environment.Exit(1);
            return;
        }
        else
        {
            Stdio.Error("Invalid URI scheme\n");
            Environment.Exit(1);
            return;
        }
        int at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            string userInfo = rest[..at];
            int colon = userInfo.IndexOf(':');
            if (colon >= 0)
            {
                o.User = PercentDecode(userInfo[..colon]);
                o.Password = PercentDecode(userInfo[(colon + 1)..]);
            }
            else o.Password = PercentDecode(userInfo);
            rest = rest[(at + 1)..];
        }
        int slash = rest.IndexOf('/');
        string hostPort = slash >= 0 ? rest[..slash] : rest;
        if (slash >= 0 && slash + 1 < rest.Length) o.Database = (int)CParse.Atoi(rest[(slash + 1)..]);
        if (hostPort.StartsWith('['))
        {
            int close = hostPort.IndexOf(']');
            o.Host = hostPort[1..Math.Max(1, close)];
            hostPort = close >= 0 ? hostPort[(close + 1)..] : "";
            if (hostPort.StartsWith(':')) o.Port = (int)CParse.Atoi(hostPort[1..]);
        }
        else
        {
            int colon = hostPort.LastIndexOf(':');
            if (colon >= 0)
            {
                o.Host = hostPort[..colon];
                o.Port = (int)CParse.Atoi(hostPort[(colon + 1)..]);
            }
            else if (hostPort.Length > 0) o.Host = hostPort;
        }
    }

    private static string PercentDecode(string text) => Uri.UnescapeDataString(text);
}

/// <summary>C's atoi/atof: leading whitespace, optional sign, digits up to the first non-digit, 0 when none.</summary>
public static class CParse
{
    public static long Atoi(string s)
    {
        int p = 0;
        while (p < s.Length && char.IsWhiteSpace(s[p])) p++;
        bool negative = false;
        if (p < s.Length && (s[p] == '-' || s[p] == '+')) negative = s[p++] == '-';
        long value = 0;
        while (p < s.Length && s[p] >= '0' && s[p] <= '9') value = unchecked(value * 10 + (s[p++] - '0'));
        return negative ? -value : value;
    }

    public static double Atof(string s)
    {
        int end = 0;
        string t = s.TrimStart();
        while (end < t.Length && (char.IsDigit(t[end]) || t[end] is '.' or '-' or '+' or 'e' or 'E')) end++;
        for (; end > 0; end--)
            if (double.TryParse(t[..end], NumberStyles.Float, CultureInfo.InvariantCulture, out double v)) return v;
        return 0;
    }

    /// <summary>strtol-like: true only when the whole text is a base-10 integer.</summary>
    public static bool TryParseWhole(string s, out long value) =>
        long.TryParse(s, NumberStyles.AllowLeadingSign | NumberStyles.AllowLeadingWhite, CultureInfo.InvariantCulture, out value);
}
