using BatchRec.Jobs.Configuration;
using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serilog;

namespace BatchRec.Jobs.Orchestration;

/// <summary>
/// The `run` command: starts an embedded Hangfire server on the configured storage, triggers one run through the
/// same job chain the nightly schedule uses, waits for it to end and stops the server.
/// </summary>
public static class RunOnce
{
    public static async Task<RunOutcome> ExecuteAsync(LoadedConfig config, string date, CancellationToken ct)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSerilog(Log.Logger, dispose: false);
        builder.Services.AddBatchRec(config);
        using var host = builder.Build();
        await host.StartAsync(ct);
        try
        {
            var launch = host.Services.GetRequiredService<RunLauncher>().Trigger(config, date, "cli");
            if (!launch.Started)
                Log.Warning("{Message}; waiting for that run instead", launch.Message);
            var storage = host.Services.GetRequiredService<JobStorage>();
            return await RunWaiter.WaitAsync(storage, launch.Folder, TimeSpan.FromMilliseconds(200), ct);
        }
        finally
        {
            using var stopCts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await host.StopAsync(stopCts.Token);
        }
    }
}
