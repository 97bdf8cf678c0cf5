// Real Redis Cluster nodes on loopback for the cluster-manager tests: redis-server processes with
// cluster-enabled, each on a free port with its cluster bus on another free port (cluster-port), so
// nothing depends on port+10000 being free. A ClusterFixture builds a 3-master, 3-replica cluster
// (with csredis-cli --cluster create, itself under test) plus a spare cluster node for add-node and a
// standalone server for import.
using System.Diagnostics;
using System.Text.RegularExpressions;
using Csredis.Common.Client;

namespace Csredis.Tests.Cli;

public sealed class ClusterNodeProcess : IDisposable
{
    private readonly Process process;
    private readonly string directory;
    public int Port { get; }
    public int BusPort { get; }
    public string Address => $"127.0.0.1:{Port}";

    public ClusterNodeProcess(bool clusterEnabled = true)
    {
        Port = CliTestEnvironment.FreePort();
        BusPort = CliTestEnvironment.FreePort();
        directory = Path.Combine(Path.GetTempPath(), $"csredis-cli-cluster-{Port}");
        Directory.CreateDirectory(directory);
        var info = new ProcessStartInfo("redis-server")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = directory,
        };
        var args = new List<string>
        {
            "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory,
            "--enable-debug-command", "yes", "--daemonize", "no", "--repl-diskless-sync-delay", "0",
        };
        if (clusterEnabled)
            args.AddRange(["--cluster-enabled", "yes", "--cluster-port", BusPort.ToString(), "--cluster-config-file", "nodes.conf",
                "--cluster-node-timeout", "5000"]);
        foreach (var a in args) info.ArgumentList.Add(a);
        process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                using var probe = Connect();
                if (probe.Execute("PING").AsText() == "PONG") break;
            }
            catch (Exception) when (DateTime.UtcNow < deadline && !process.HasExited) { Thread.Sleep(50); }
        }
    }

    public RedisBlockingConnection Connect() => RedisBlockingConnection.ConnectTcp("127.0.0.1", Port);

    public RespValue Execute(params string[] command)
    {
        using var connection = Connect();
        return connection.Execute(command);
    }

    public string Id => Execute("CLUSTER", "MYID").AsText();

    public void Dispose()
    {
        try { Execute("SHUTDOWN", "NOSAVE"); } catch (Exception) { }
        if (!process.WaitForExit(5000)) process.Kill(entireProcessTree: true);
        process.Dispose();
        try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
    }
}

public static class ClusterOutput
{
    /// <summary>The "Waiting for the cluster to join" dots depend on timing, not on the tool.</summary>
    public static string WithoutJoinDots(string text) => Regex.Replace(text, @"(Waiting for the cluster to join\n)\.*\n", "$1\n");

    public static string WithoutIds(string text) => Regex.Replace(text, "[0-9a-f]{40}", "<id>");

    /// <summary>The node blocks of a check listing sorted, for clusters whose CLUSTER NODES order differs
    /// (nodes are listed in the order of their random IDs).</summary>
    public static string WithSortedNodeBlocks(string text)
    {
        var lines = text.Split('\n');
        var result = new List<string>();
        var block = new List<string>();
        var blocks = new List<string>();
        void FlushBlocks()
        {
            if (block.Count > 0) blocks.Add(string.Join("\n", block));
            block.Clear();
            blocks.Sort(string.CompareOrdinal);
            result.AddRange(blocks);
            blocks.Clear();
        }
        foreach (var line in lines)
        {
            if (line.StartsWith("M: ", StringComparison.Ordinal) || line.StartsWith("S: ", StringComparison.Ordinal))
            {
                if (block.Count > 0) blocks.Add(string.Join("\n", block));
                block = [line];
            }
            else if (block.Count > 0 && line.StartsWith("   ", StringComparison.Ordinal)) block.Add(line);
            else
            {
                FlushBlocks();
                result.Add(line);
            }
        }
        FlushBlocks();
        return string.Join("\n", result);
    }
}

/// <summary>Three masters with one replica each, built once per test class, plus a spare cluster node
/// and a standalone server.</summary>
public sealed class ClusterFixture : IDisposable
{
    public readonly List<ClusterNodeProcess> Nodes = [];
    public readonly ClusterNodeProcess Spare;
    public readonly ClusterNodeProcess Standalone;

    public ClusterFixture()
    {
        for (int i = 0; i < 6; i++) Nodes.Add(new ClusterNodeProcess());
        Spare = new ClusterNodeProcess();
        Standalone = new ClusterNodeProcess(clusterEnabled: false);
        var create = CliTestEnvironment.Run(CliTestEnvironment.OurCli,
            ["--cluster", "create", .. Nodes.Select(n => n.Address), "--cluster-replicas", "1", "--cluster-yes"],
            timeout: TimeSpan.FromSeconds(60), environment: new Dictionary<string, string> { ["TERM"] = "dumb" });
        if (create.ExitCode != 0) throw new InvalidOperationException("cluster create failed: " + create.StdoutText + create.StderrText);
        WaitUntilHealthy();
    }

    public ClusterNodeProcess Master(int index) => Nodes[index];

    /// <summary>Until every node agrees and every replica has its link up (bounded). A master without
    /// slots normally means a replica not yet configured, unless one was just added on purpose.</summary>
    public void WaitUntilHealthy(bool allowEmptyMaster = false)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var check = CliTestEnvironment.Run(CliTestEnvironment.RealCli, ["--cluster", "check", Nodes[0].Address],
                environment: new Dictionary<string, string> { ["TERM"] = "dumb" });
            bool replicasUp = Nodes.All(n =>
            {
                var info = n.Execute("INFO", "replication").AsText();
                return info.Contains("role:master") || info.Contains("master_link_status:up");
            });
            if (check.ExitCode == 0 && check.StdoutText.Contains("[OK] All nodes agree") && replicasUp
                && (allowEmptyMaster || !check.StdoutText.Contains("(0 slots) master"))) return;
            Thread.Sleep(200);
        }
        throw new TimeoutException("the cluster did not settle");
    }

    /// <summary>Until every node's CLUSTER NODES lists the given ID (gossip takes a moment).</summary>
    public void WaitUntilAllKnow(string id)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (Nodes.All(n => n.Execute("CLUSTER", "NODES").AsText().Contains(id))) return;
            Thread.Sleep(100);
        }
        throw new TimeoutException($"node {id} not known everywhere");
    }

    public void Dispose()
    {
        foreach (var node in Nodes) node.Dispose();
        Spare.Dispose();
        Standalone.Dispose();
    }
}
