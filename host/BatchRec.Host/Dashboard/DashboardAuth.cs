using System.Net;
using System.Security.Cryptography;
using System.Text;
using BatchRec.Jobs.Configuration;
using Hangfire.Dashboard;

namespace BatchRec.Host.Dashboard;

/// <summary>
/// HTTP Basic authentication for the dashboard. Hangfire answers 401 when a filter refuses an unauthenticated request;
/// the WWW-Authenticate header makes browsers ask for the credentials. Use it behind TLS (a reverse proxy) when the
/// dashboard is reachable from other machines.
/// </summary>
public sealed class BasicAuthFilter(string username, string password) : IDashboardAuthorizationFilter
{
    private readonly byte[] _expected = Encoding.UTF8.GetBytes($"{username}:{password}");

    public bool Authorize(DashboardContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var http = context.GetHttpContext();
        var header = http.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            byte[] given;
            try
            {
                given = Convert.FromBase64String(header["Basic ".Length..].Trim());
            }
            catch (FormatException)
            {
                given = [];
            }
            if (CryptographicOperations.FixedTimeEquals(given, _expected))
                return true;
        }
        http.Response.Headers.WWWAuthenticate = "Basic realm=\"BatchRec\", charset=\"UTF-8\"";
        return false;
    }
}

public static class DashboardAccess
{
    /// <summary>True when every URL the host listens on is a loopback address (127.0.0.0/8, ::1, localhost).</summary>
    public static bool LoopbackOnly(string urls) =>
        urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .All(u =>
            {
                var host = u.Contains("://", StringComparison.Ordinal)
                    ? u[(u.IndexOf("://", StringComparison.Ordinal) + 3)..]
                    : u;
                host = host.Split('/')[0];
                host = host.StartsWith('[') ? host[1..host.IndexOf(']')] : host.Split(':')[0];
                return host == "localhost" || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
            });

    /// <summary>
    /// The dashboard's authorization: Basic credentials when configured (dashboard.username and the password in the
    /// environment variable dashboard.passwordEnv); otherwise local requests only, and listening on anything but
    /// loopback without credentials is refused with a message saying what to set.
    /// </summary>
    public static IDashboardAuthorizationFilter[] Filters(LoadedConfig config, string urls)
    {
        ArgumentNullException.ThrowIfNull(config);
        var d = config.Host.Dashboard;
        var password = Environment.GetEnvironmentVariable(d.PasswordEnv);
        if (d.Username != "")
        {
            if (string.IsNullOrEmpty(password))
                throw new ConfigException(
                    $"dashboard.username is set but the environment variable '{d.PasswordEnv}' (dashboard.passwordEnv) holding its password is not."
                );
            return [new BasicAuthFilter(d.Username, password)];
        }
        if (!LoopbackOnly(urls))
            throw new ConfigException(
                $"The dashboard would listen on '{urls}', which is not loopback only: set dashboard.username and the password in the environment variable '{d.PasswordEnv}', or listen on 127.0.0.1."
            );
        return [new LocalRequestsOnlyAuthorizationFilter()];
    }
}
