using System.Net;
using System.Security.Cryptography;
using System.Text;
using BatchRec.Jobs.Configuration;
using Hangfire.Dashboard;

namespace BatchRec.Host.Dashboard;

/// <summary>
/// Who may use the host's HTTP endpoints (the dashboard and the metrics endpoint): one check both use. With credentials,
/// HTTP Basic authentication: a refused request gets the WWW-Authenticate header, which makes browsers ask for the
/// credentials (use it behind TLS, a reverse proxy, when the host is reachable from other machines). Without them,
/// local requests only: from a loopback address, or from the address the request came in on.
/// </summary>
public sealed class AccessRule
{
    private readonly byte[]? _expected;

    private AccessRule(byte[]? expected) => _expected = expected;

    /// <summary>Requests carrying these Basic credentials.</summary>
    public static AccessRule Basic(string username, string password) =>
        new(Encoding.UTF8.GetBytes($"{username}:{password}"));

    /// <summary>Requests from this machine.</summary>
    public static AccessRule LocalOnly { get; } = new(null);

    /// <summary>True when the rule asks for credentials (a refusal then means "401, log in").</summary>
    public bool RequiresCredentials => _expected is not null;

    /// <summary>Whether the request may pass; a refused one gets the WWW-Authenticate header when credentials are required.</summary>
    public bool Allows(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (_expected is null)
            return IsLocal(http.Connection);
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

    private static bool IsLocal(ConnectionInfo c) =>
        c.RemoteIpAddress is { } remote && (IPAddress.IsLoopback(remote) || remote.Equals(c.LocalIpAddress));
}

/// <summary>The dashboard's side of the <see cref="AccessRule"/>: Hangfire answers 401 when it refuses a request.</summary>
public sealed class AccessRuleFilter(AccessRule rule) : IDashboardAuthorizationFilter
{
    public bool Authorize(DashboardContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return rule.Allows(context.GetHttpContext());
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
    /// The host's access rule (dashboard and metrics endpoint): Basic credentials when configured (dashboard.username
    /// and the password in the environment variable dashboard.passwordEnv); otherwise local requests only, and
    /// listening on anything but loopback without credentials is refused with a message saying what to set.
    /// </summary>
    public static AccessRule Rule(LoadedConfig config, string urls)
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
            return AccessRule.Basic(d.Username, password);
        }
        if (!LoopbackOnly(urls))
            throw new ConfigException(
                $"The dashboard would listen on '{urls}', which is not loopback only: set dashboard.username and the password in the environment variable '{d.PasswordEnv}', or listen on 127.0.0.1."
            );
        return AccessRule.LocalOnly;
    }
}
