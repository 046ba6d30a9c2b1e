using BatchRec.Host;
using Serilog;
using Serilog.Formatting.Compact;

// Bootstrap logger first, so a failure while reading config or starting Hangfire is still logged.
var json = Environment.GetEnvironmentVariable("BATCHREC_LOG_FORMAT") == "json";
Log.Logger = (
    json
        ? new LoggerConfiguration().WriteTo.Console(new CompactJsonFormatter())
        : new LoggerConfiguration().WriteTo.Console(
            outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}"
        )
)
    .MinimumLevel.Information()
    .MinimumLevel.Override("Microsoft", Serilog.Events.LogEventLevel.Warning)
    // Hangfire reports a failed job at Warning with its stack trace; BatchRec reports failures itself (Cli, dashboard)
    .MinimumLevel.Override("Hangfire", Serilog.Events.LogEventLevel.Error)
    .Enrich.FromLogContext()
    // an input error is reported once, by BatchRec, with the file and column; not again by Hangfire with a stack trace
    .Filter.ByExcluding(e =>
        e.Properties.TryGetValue("SourceContext", out var src)
        && src.ToString().StartsWith("\"Hangfire", StringComparison.Ordinal)
        && IsInputError(e.Exception)
    )
    .CreateLogger();

// SIGTERM / Ctrl+C cancel the command: `run` stops waiting, its embedded server stops and the running stage is
// cancelled (training checks between batches, scoring between user chunks); `serve` shuts down gracefully.
using var stopping = new CancellationTokenSource();
void Stop(System.Runtime.InteropServices.PosixSignalContext c)
{
    c.Cancel = true;
    stopping.Cancel();
}
using var onTerm = System.Runtime.InteropServices.PosixSignalRegistration.Create(
    System.Runtime.InteropServices.PosixSignal.SIGTERM,
    Stop
);
using var onInt = System.Runtime.InteropServices.PosixSignalRegistration.Create(
    System.Runtime.InteropServices.PosixSignal.SIGINT,
    Stop
);
try
{
    return await Cli.RunAsync(args, stopping.Token);
}
catch (OperationCanceledException) when (stopping.IsCancellationRequested)
{
    Log.Warning("BatchRec stopped on request before the command finished");
    return 130;
}
catch (Exception e)
    when (e
            is BatchRec.Jobs.Configuration.ConfigException
                or BatchRec.Jobs.Io.InputFormatException
                or ArgumentException
                or BatchRec.Jobs.Orchestration.StorageUnavailableException
    )
{
    // the user's input or command line: the message says what to fix; a stack trace would only bury it
    Log.Fatal("BatchRec stopped: {Message}", e.Message);
    return 2;
}
catch (Exception e)
{
    Log.Fatal(e, "BatchRec stopped: {Message}", e.Message);
    return 1;
}
finally
{
    await Log.CloseAndFlushAsync();
}

static bool IsInputError(Exception? e) =>
    e is BatchRec.Jobs.Configuration.ConfigException or BatchRec.Jobs.Io.InputFormatException
    || (e?.InnerException is { } inner && IsInputError(inner));
