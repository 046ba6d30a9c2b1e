using System.Net;
using System.Text;
using BatchRec.Host.Dashboard;
using Microsoft.AspNetCore.Http;
using Xunit;

namespace BatchRec.Host.Tests;

/// <summary>The one access check of the dashboard and the metrics endpoint.</summary>
public sealed class AccessRuleFacts
{
    private static DefaultHttpContext Request(string remote, string local = "10.0.0.1", string? authorization = null)
    {
        var http = new DefaultHttpContext();
        http.Connection.RemoteIpAddress = IPAddress.Parse(remote);
        http.Connection.LocalIpAddress = IPAddress.Parse(local);
        if (authorization is not null)
            http.Request.Headers.Authorization = authorization;
        return http;
    }

    private static string Basic(string credentials) =>
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials));

    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1", true)]
    [InlineData("127.0.0.5", "127.0.0.1", true)]
    [InlineData("::1", "::1", true)]
    [InlineData("10.0.0.1", "10.0.0.1", true)] // from the address the request came in on: this machine
    [InlineData("10.0.0.7", "10.0.0.1", false)]
    [InlineData("192.168.1.20", "127.0.0.1", false)]
    public void LocalOnly_AllowsRequestsFromThisMachineOnly(string remote, string local, bool allowed)
    {
        var http = Request(remote, local);
        Assert.False(AccessRule.LocalOnly.RequiresCredentials);
        Assert.Equal(allowed, AccessRule.LocalOnly.Allows(http));
        Assert.False(http.Response.Headers.ContainsKey("WWW-Authenticate")); // no credentials to ask for
    }

    [Fact]
    public void LocalOnly_RefusesARequestWithoutARemoteAddress()
    {
        var http = new DefaultHttpContext();
        Assert.False(AccessRule.LocalOnly.Allows(http));
    }

    [Theory]
    [InlineData("ops:s3cret", true)]
    [InlineData("ops:guess", false)]
    [InlineData("other:s3cret", false)]
    [InlineData("", false)]
    public void Basic_AllowsTheConfiguredCredentialsFromAnywhere_AndAsksForThemOtherwise(
        string credentials,
        bool allowed
    )
    {
        var rule = AccessRule.Basic("ops", "s3cret");
        var http = Request("203.0.113.9", authorization: credentials == "" ? null : Basic(credentials));
        Assert.True(rule.RequiresCredentials);
        Assert.Equal(allowed, rule.Allows(http));
        Assert.Equal(!allowed, http.Response.Headers.WWWAuthenticate.ToString().StartsWith("Basic realm="));
    }

    [Fact]
    public void Basic_RefusesAHeaderThatIsNotBase64_AndALocalRequestWithoutCredentials()
    {
        var rule = AccessRule.Basic("ops", "s3cret");
        Assert.False(rule.Allows(Request("203.0.113.9", authorization: "Basic not*base64")));
        Assert.False(rule.Allows(Request("127.0.0.1", "127.0.0.1"))); // credentials, once configured, even locally
    }
}
