using BatchRec.Host;
using Serilog;
using Serilog.Formatting.Compact;

// Bootstrap logger first, so a failure while reading config or starting Hangfire is still logged.
var json = Environment.GetEnvironmentVariable("BATCHREC_LOG_FORMAT") == "json";
Log.Logger = (json
        ? new LoggerConfiguration().WriteTo.Console(new CompactJsonFormatter())
        : new LoggerConfiguration().WriteTo.Console(outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}"))
    .MinimumLevel.Information()
    .MinimumLevel.Override("Microsoft", Serilog.Events.LogEventLevel.Warning)
    .MinimumLevel.Override("Hangfire", Serilog.Events.LogEventLevel.Warning)
    .Enrich.FromLogContext()
    .CreateLogger();

try
{
    return await Cli.RunAsync(args);
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
