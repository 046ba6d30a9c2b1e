using BatchRec.Jobs.Configuration;

namespace BatchRec.Host.Tests;

/// <summary>A test's own schema on the real PostgreSQL and a config pointing at it; drops the schema at the end.</summary>
public sealed class PgWorld : IDisposable
{
    public const string EnvVar = "BATCHREC_TEST_PG_CS";
    public TempDir Dir { get; } = new();
    public string Schema { get; } = Postgres.NewSchema();

    public PgWorld() => Environment.SetEnvironmentVariable(EnvVar, Postgres.ConnectionString);

    public LoadedConfig Config(string extra = "", int invisibilityTimeoutSeconds = 8) =>
        TinyDataset.Config(
            Dir,
            "input",
            $$""", "storage": { "kind": "postgresql", "connectionStringEnv": "{{EnvVar}}", "schema": "{{Schema}}", "queuePollMs": 200, "invisibilityTimeoutSeconds": {{invisibilityTimeoutSeconds}} }{{extra}}"""
        );

    public void Dispose()
    {
        try
        {
            Postgres.DropSchema(Schema);
        }
        catch (Npgsql.NpgsqlException) { }
        Dir.Dispose();
    }
}
