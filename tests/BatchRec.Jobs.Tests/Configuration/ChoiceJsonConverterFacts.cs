using System.Text.Json;
using BatchRec.Core;
using BatchRec.Jobs.Runs;
using Xunit;

namespace BatchRec.Jobs.Tests.Configuration;

public sealed class ChoiceJsonConverterFacts
{
    [Fact]
    public void TheClosedSets_AreWrittenAsTheConfigFilesNames_AndReadBack()
    {
        var json = JsonSerializer.Serialize(
            new
            {
                Kind = ModelKind.GatText,
                Device = DeviceChoice.Cpu,
                Rule = RowPolicy.Quarantine,
            },
            Json.Options
        );
        Assert.Contains("\"kind\": \"gat-text\"", json);
        Assert.Contains("\"device\": \"cpu\"", json);
        Assert.Contains("\"rule\": \"quarantine\"", json);
        Assert.Equal(ModelKind.Ease, JsonSerializer.Deserialize<ModelKind>("\"ease\"", Json.Options));
        var e = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<ModelKind>("\"eas\"", Json.Options));
        Assert.Contains("known: popularity, bpr-mf, lightgcn, gat, gat-text, ease, auto", e.Message);
    }

    [Fact]
    public void AWholeConfig_SerialisesItsChoicesAsNames()
    {
        var json = JsonSerializer.Serialize(ConfigModule.Default, Json.Options);
        Assert.Contains("\"kind\": \"lightgcn\"", json);
        Assert.Contains("\"stopMetric\": \"mrr\"", json);
        Assert.DoesNotContain("\"tag\"", json);
    }
}
