using System.Text.RegularExpressions;
using BatchRec.Host.Dashboard;
using Xunit;

namespace BatchRec.Host.Tests;

public class SvgFacts
{
    [Theory]
    [InlineData(0.2836, 0.3785, new[] { 0.25, 0.30, 0.35, 0.40 })] // step 0.0237 → 0.05
    [InlineData(0.0, 314.0, new[] { 0.0, 100, 200, 300, 400 })] // 78.5 → 100
    [InlineData(1.0, 9.0, new[] { 0.0, 2, 4, 6, 8, 10 })] // 2 → 2
    [InlineData(-0.3, 0.7, new[] { -0.5, 0.0, 0.5, 1.0 })] // 0.25 → 0.5
    public void Ticks_AreNiceStepsCoveringTheRange(double min, double max, double[] expected)
    {
        var ticks = Svg.Ticks(min, max);
        Assert.True(ticks[0] <= min && ticks[^1] >= max);
        Assert.Equal(expected, ticks.Select(t => Math.Round(t, 9)));
    }

    [Fact]
    public void Ticks_OfAConstant_PadAroundIt_AndTheirTextHasTheStepsDecimals()
    {
        var ticks = Svg.Ticks(0.5, 0.5);
        Assert.True(ticks[0] < 0.5 && ticks[^1] > 0.5);
        Assert.Equal("0.25", Svg.TickText(0.25, [0.25, 0.30]));
        Assert.Equal("300", Svg.TickText(300, [0, 100]));
    }

    [Fact]
    public void LineChart_LeavesOutPointsThatAreNotNumbers_AndEncodesItsText()
    {
        var svg = Svg.LineChart(
            "c",
            "epoch",
            "<loss>",
            [
                new(
                    "a&b",
                    "loss",
                    "#000",
                    [
                        new(1, 0.5, "0.5"),
                        new(2, double.NaN, "NaN"),
                        new(3, double.PositiveInfinity, "inf"),
                        new(4, 0.25, "0.25"),
                    ]
                ),
            ]
        );
        Assert.Equal(2, Regex.Matches(svg, "<circle class=\"loss-point\"").Count);
        Assert.DoesNotContain("NaN", svg);
        Assert.DoesNotContain("Infinity", svg);
        Assert.Contains("&lt;loss&gt;", svg);
        Assert.Contains("a&amp;b", svg);
    }
}
