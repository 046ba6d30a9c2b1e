using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace BatchRec.Host.Tests;

/// <summary>
/// The real PostgreSQL the storage tests use. <c>BATCHREC_TEST_PG</c> (what <c>tests/run.sh</c> exports) names a server;
/// without it a throwaway cluster is initialised and started once per test process from the local PostgreSQL
/// binaries (as the <c>postgres</c> user when running as root) and stopped when the process exits. No PostgreSQL at
/// all is a test failure with this message, not a skip.
/// </summary>
public static class Postgres
{
    private static readonly Lazy<string> Server = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>A connection string to the server (database postgres).</summary>
    public static string ConnectionString => Server.Value;

    /// <summary>A fresh schema name for one test: Hangfire creates its tables there, so recurring jobs and queues never leak between tests.</summary>
    public static string NewSchema() => "t_" + Guid.NewGuid().ToString("N")[..12];

    public static void DropSchema(string schema)
    {
        using var c = new NpgsqlConnection(ConnectionString);
        c.Open();
        using var cmd = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE", c);
        cmd.ExecuteNonQuery();
    }

    private static string Start()
    {
        var fromEnv = Environment.GetEnvironmentVariable("BATCHREC_TEST_PG");
        if (!string.IsNullOrWhiteSpace(fromEnv))
            return fromEnv;
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory
                .GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")))
                .Order()
                .LastOrDefault()
            : null;
        if (bin is null)
            throw new InvalidOperationException(
                "These tests need PostgreSQL: set BATCHREC_TEST_PG to a connection string, or install it (apt-get install -y postgresql); `bash tests/run.sh` does both."
            );
        // clusters of earlier test processes that were stopped but not removed (no postmaster.pid): remove them
        foreach (var stale in Directory.GetDirectories(Path.GetTempPath(), "batchrec-test-pg-*"))
            if (!File.Exists(Path.Combine(stale, "postmaster.pid")))
                try
                {
                    Run("rm", $"-rf {stale}");
                }
                catch (InvalidOperationException) { }
        var dir = Path.Combine(Path.GetTempPath(), $"batchrec-test-pg-{Environment.ProcessId}");
        var port = FreePort();
        var asRoot = Environment.UserName == "root";
        if (Directory.Exists(dir))
            Directory.Delete(dir, recursive: true);
        Directory.CreateDirectory(dir);
        if (asRoot)
            Run("chown", $"postgres:postgres {dir}");
        Run("chmod", $"700 {dir}");
        Pg(Path.Combine(bin, "initdb"), $"-D {dir} -U postgres --auth=trust -E UTF8 --locale=C.UTF-8", asRoot);
        Pg(
            Path.Combine(bin, "pg_ctl"),
            $"-D {dir} -l {dir}/server.log -w -o \"-c listen_addresses=127.0.0.1 -c port={port} -k {dir} -c max_connections=200\" start",
            asRoot
        );
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Pg(Path.Combine(bin, "pg_ctl"), $"-D {dir} -m immediate stop", asRoot);
                Run("rm", $"-rf {dir}");
            }
            catch (Exception e) when (e is IOException or InvalidOperationException) { }
        };
        return $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=true";
    }

    private static void Pg(string exe, string args, bool asRoot)
    {
        if (asRoot)
            Run("runuser", $"-u postgres -- {exe} {args}");
        else
            Run(exe, args);
    }

    private static void Run(string exe, string args)
    {
        using var p = Process.Start(
            new ProcessStartInfo("bash", ["-c", $"{exe} {args}"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            }
        )!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000))
        {
            p.Kill();
            throw new InvalidOperationException($"'{exe} {args}' did not finish in 60 s");
        }
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"'{exe} {args}' failed ({p.ExitCode}): {error.Result}{output.Result}");
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
