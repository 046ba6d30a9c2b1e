using System.Net;
using System.Net.Sockets;
using BatchRec.Host;
using Xunit;

namespace BatchRec.Host.Tests;

[Collection("hangfire")]
public class ServeFacts
{
    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    [Fact]
    public async Task Serve_ShowsTheNightlyRecurringJobOnTheLoopbackDashboard()
    {
        using var dir = new TempDir();
        var config = TinyDataset.Config(dir, "input", """, "schedule": { "cron": "15 3 * * *", "timeZone": "UTC" }""");
        var url = $"http://127.0.0.1:{FreePort()}";
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var serving = Serve.RunAsync(config, url, cts.Token);
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        string? page = null;
        for (var attempt = 0; attempt < 100 && page is null; attempt++)
        {
            try
            {
                page = await http.GetStringAsync("/hangfire/recurring", cts.Token);
            }
            catch (HttpRequestException)
            {
                await Task.Delay(200, cts.Token);
            }
        }
        Assert.NotNull(page);
        Assert.Contains("nightly:tiny", page);
        Assert.Contains("15 3 * * *", page);
        await cts.CancelAsync();
        await serving;
    }
}
