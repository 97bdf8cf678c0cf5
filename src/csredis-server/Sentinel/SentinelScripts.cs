// notification-script and client-reconfig-script (Redis's sentinel script queue). A job is
// queued per call (at most 256 waiting: the oldest not running is dropped) and started from the
// timer, at most 16 running at once, as a child process with the arguments Redis passes and our
// environment. A script that exits with 1 or dies of a signal is run again later (30 s, then
// doubling, 10 attempts in all); one running longer than 60 s is killed with SIGKILL (and so
// retried). Children are reaped with waitpid on their own pids from the timer: nothing runs off
// the loop thread and no other child of the process is touched.
using System.Globalization;
using Csredis.Common.Logging;
using Csredis.Common.Native;

namespace Csredis.Server.Sentinel;

public sealed partial class SentinelState
{
    const int ScriptMaxRunning = 16, ScriptMaxQueue = 256, ScriptMaxRetry = 10;

    sealed class ScriptJob
    {
        public required string[] Argv;     // argv[0] is the script path
        public int RetryNum;
        /// <summary>While running, when it started; otherwise 0 (run at once) or the time a retry may start.</summary>
        public long StartTime;
        public int Pid;
        public bool Running;
    }

    readonly List<ScriptJob> _scripts = new();
    int _runningScripts;

    public int RunningScripts => _runningScripts;
    public int ScriptsQueueLength => _scripts.Count;

    void ScheduleScript(string path, string[] args)
    {
        _scripts.Add(new ScriptJob { Argv = [path, .. args] });
        if (_scripts.Count <= ScriptMaxQueue) return;
        var oldest = _scripts.FirstOrDefault(j => !j.Running);
        if (oldest != null) _scripts.Remove(oldest);
    }

    /// <summary>client-reconfig-script: "master-name leader|observer start from-ip from-port to-ip to-port".</summary>
    void CallClientReconfigScript(SentinelInstance master, string role, string state, SentinelAddr from, SentinelAddr to)
    {
        if (master.ClientReconfigScript == null) return;
        ScheduleScript(master.ClientReconfigScript, [master.Name, role, state, Announce(from), from.Port.ToString(CultureInfo.InvariantCulture),
            Announce(to), to.Port.ToString(CultureInfo.InvariantCulture)]);
    }

    void RunPendingScripts()
    {
        long now = Now;
        foreach (var job in _scripts)
        {
            if (_runningScripts >= ScriptMaxRunning) break;
            if (job.Running || job.StartTime != 0 && job.StartTime > now) continue;
            job.Running = true;
            job.StartTime = Now;
            job.RetryNum++;
            int pid = Libc.Spawn(job.Argv[0], job.Argv[1..]);
            if (pid > 0)
            {
                _runningScripts++;
                job.Pid = pid;
                EventText(LogLevel.Debug, "+script-child", null, pid.ToString(CultureInfo.InvariantCulture));
            }
            else
            {
                // A script that cannot be executed ends as Redis's child does after a failed execve: exit status 2, not retried.
                job.Running = false;
                job.Pid = 0;
                EventText(LogLevel.Warning, "-script-error", null, $"{job.Argv[0]} 0 2");
                job.StartTime = -1;
            }
        }
        _scripts.RemoveAll(j => j.StartTime == -1);
    }

    unsafe void CollectTerminatedScripts()
    {
        foreach (var job in _scripts.ToArray())
        {
            if (!job.Running) continue;
            int status = 0;
            if (Libc.waitpid(job.Pid, &status, Libc.WNOHANG) != job.Pid) continue;
            int exitCode = (status >> 8) & 0xff;
            int termSignal = status & 0x7f;
            int bySignal = termSignal != 0 && termSignal != 0x7f ? termSignal : 0;
            EventText(LogLevel.Debug, "-script-child", null, $"{job.Pid} {exitCode} {bySignal}");
            _runningScripts--;
            if ((bySignal != 0 || exitCode == 1) && job.RetryNum != ScriptMaxRetry)
            {
                job.Running = false;
                job.Pid = 0;
                job.StartTime = Now + RetryDelay(job.RetryNum);
            }
            else
            {
                if (bySignal != 0 || exitCode != 0)
                    EventText(LogLevel.Warning, "-script-error", null, $"{job.Argv[0]} {bySignal} {exitCode}");
                _scripts.Remove(job);
            }
        }
    }

    /// <summary>30 s before the second attempt, doubling after each further one.</summary>
    long RetryDelay(int retryNum)
    {
        long delay = ScriptRetryDelay;
        while (retryNum-- > 1) delay *= 2;
        return delay;
    }

    void KillTimedOutScripts()
    {
        long now = Now;
        foreach (var job in _scripts)
        {
            if (!job.Running || now - job.StartTime <= ScriptMaxRuntime) continue;
            EventText(LogLevel.Warning, "-script-timeout", null, $"{job.Argv[0]} {job.Pid}");
            Libc.kill(job.Pid, Libc.SIGKILL);
        }
    }

    /// <summary>SENTINEL PENDING-SCRIPTS: every queued job with its state.</summary>
    public void ReplyPendingScripts(Networking.Client c)
    {
        long now = Now;
        c.Reply.ArrayHeader(_scripts.Count);
        foreach (var job in _scripts)
        {
            c.Reply.MapHeader(5);
            c.Reply.Bulk("argv"u8);
            c.Reply.ArrayHeader(job.Argv.Length);
            foreach (var a in job.Argv) c.Reply.Bulk(a);
            c.Reply.Bulk("flags"u8);
            c.Reply.Bulk(job.Running ? "running"u8 : "scheduled"u8);
            c.Reply.Bulk("pid"u8);
            c.Reply.Bulk(job.Pid.ToString(CultureInfo.InvariantCulture));
            if (job.Running)
            {
                c.Reply.Bulk("run-time"u8);
                c.Reply.Bulk((now - job.StartTime).ToString(CultureInfo.InvariantCulture));
            }
            else
            {
                c.Reply.Bulk("run-delay"u8);
                c.Reply.Bulk(Math.Max(0, job.StartTime != 0 ? job.StartTime - now : 0).ToString(CultureInfo.InvariantCulture));
            }
            c.Reply.Bulk("retry-num"u8);
            c.Reply.Bulk(job.RetryNum.ToString(CultureInfo.InvariantCulture));
        }
    }
}
