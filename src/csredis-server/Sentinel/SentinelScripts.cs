// notification-script and client-reconfig-script (Redis's sentinel script queue): scripts run
// as child processes with Redis's arguments, at most 16 at once; one that exits with status 1
// is retried (up to 10 times, with a growing delay), one running longer than 60 s is killed.
// Process exits are polled from the sentinel timer, so no callback runs off the loop thread.
using System.Diagnostics;
using Csredis.Common;
using Csredis.Common.Logging;

namespace Csredis.Server.Sentinel;

public sealed partial class SentinelState
{
    const int ScriptMaxRunning = 16, ScriptMaxQueue = 256, ScriptMaxRetry = 10;
    const long ScriptMaxRuntime = 60_000, ScriptRetryDelay = 30_000;

    sealed class ScriptJob
    {
        public required string Path;
        public required string[] Args;
        public int Retries;
        public long StartAfter;
        public Process? Process;
        public long StartedAt;
    }

    readonly List<ScriptJob> _scripts = new();

    public int RunningScripts => _scripts.Count(j => j.Process != null);
    public int QueuedScripts => _scripts.Count(j => j.Process == null);

    void QueueNotificationScript(SentinelInstance ri, string type, string message)
    {
        var master = ri.Is(InstanceFlags.Master) ? ri : ri.Master;
        if (master?.NotificationScript == null) return;
        QueueScript(master.NotificationScript, [type, message]);
    }

    void QueueClientReconfigScript(SentinelInstance master, string role, string state, string fromIp, int fromPort, string toIp, int toPort)
    {
        if (master.ClientReconfigScript == null) return;
        QueueScript(master.ClientReconfigScript, [master.Name, role, state, fromIp, fromPort.ToString(), toIp, toPort.ToString()]);
    }

    void QueueScript(string path, string[] args)
    {
        if (_scripts.Count >= ScriptMaxQueue)
        {
            // Drop the oldest job that is not running, as Redis does.
            var oldest = _scripts.FirstOrDefault(j => j.Process == null);
            if (oldest == null) return;
            _scripts.Remove(oldest);
        }
        _scripts.Add(new ScriptJob { Path = path, Args = args });
    }

    void RunPendingScripts()
    {
        long now = Clock.UnixMs();
        foreach (var job in _scripts.ToArray())
        {
            if (job.Process == null) continue;
            if (job.Process.HasExited)
            {
                int code = job.Process.ExitCode;
                job.Process.Dispose();
                job.Process = null;
                if (code == 1 && job.Retries < ScriptMaxRetry)
                {
                    job.Retries++;
                    job.StartAfter = now + ScriptRetryDelay * (1L << (job.Retries - 1));
                    Event(LogLevel.Warning, "-script-error", null, $"{job.Path} {code} {code}");
                }
                else
                {
                    if (code != 0) Event(LogLevel.Warning, "-script-error", null, $"{job.Path} {code} {code}");
                    _scripts.Remove(job);
                }
            }
            else if (now - job.StartedAt > ScriptMaxRuntime)
            {
                Event(LogLevel.Warning, "-script-timeout", null, $"{job.Path} {job.Process.Id}");
                try { job.Process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            }
        }
        int running = RunningScripts;
        foreach (var job in _scripts)
        {
            if (running >= ScriptMaxRunning) break;
            if (job.Process != null || job.StartAfter > now) continue;
            var start = new ProcessStartInfo(job.Path) { UseShellExecute = false };
            foreach (var a in job.Args) start.ArgumentList.Add(a);
            try
            {
                job.Process = Process.Start(start);
                job.StartedAt = now;
                running++;
                Event(LogLevel.Debug, "+script-child", null, job.Process?.Id.ToString() ?? "");
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                Log.Warning($"Error executing script {job.Path}: {e.Message}");
                job.StartAfter = long.MaxValue;
            }
        }
        _scripts.RemoveAll(j => j.StartAfter == long.MaxValue);
    }
}
