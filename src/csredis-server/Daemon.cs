// daemonize and pidfile. Redis forks; a .NET process cannot fork safely once the runtime has
// started its own threads, so the daemon is a fresh copy of this executable started with the
// same arguments: the copy calls setsid() to leave the terminal's session and points its standard
// streams at /dev/null, while the original exits with status 0 as Redis's parent does.
using System.Diagnostics;
using Csredis.Common.Native;

namespace Csredis.Server;

public static class Daemon
{
    const string Marker = "CSREDIS_DAEMONIZED";

    /// <summary>Returns true in the process that must go on serving; the launching process exits.</summary>
    public static bool Detach(string[] args)
    {
        if (Environment.GetEnvironmentVariable(Marker) == "1")
        {
            Libc.setsid();
            int devnull = Libc.open("/dev/null", 2 /* O_RDWR */, 0);
            if (devnull >= 0)
            {
                Libc.dup2(devnull, 0);
                Libc.dup2(devnull, 1);
                Libc.dup2(devnull, 2);
                if (devnull > 2) Libc.close(devnull);
            }
            return true;
        }
        var start = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment[Marker] = "1";
        using var child = Process.Start(start);
        Environment.Exit(child == null ? 1 : 0);
        return false;
    }

    public static void WritePidFile(string path)
    {
        try { File.WriteAllText(path, Environment.ProcessId + "\n"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Common.Logging.Log.Warning($"Failed to write PID file: {Common.Config.ConfigFile.OpenErrorReason(e)}");
        }
    }
}
