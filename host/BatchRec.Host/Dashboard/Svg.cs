using System.Globalization;
using System.Net;
using System.Text;

namespace BatchRec.Host.Dashboard;

/// <summary>One point of a chart: its position, and the text its tooltip and value label show.</summary>
public sealed record ChartPoint(double X, double Y, string Label, string? Run = null);

/// <summary>A line of a chart: its CSS class (the points get <c>CLASS-point</c>), colour and points.</summary>
public sealed record ChartSeries(string Name, string Class, string Colour, IReadOnlyList<ChartPoint> Points);

/// <summary>
/// Charts drawn on the server as inline SVG, so the page needs no script and every figure is in the HTML: axes with
/// ticks and their values, axis titles, a legend, each point with a tooltip, and value labels where there is room.
/// </summary>
public static class Svg
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private const int Left = 64,
        Right = 24,
        Top = 28,
        Bottom = 48;

    /// <summary>
    /// Nice tick values covering [min, max]: about <paramref name="count"/> steps of 1, 2 or 5 × 10ⁿ, the first at or
    /// below min and the last at or above max.
    /// </summary>
    public static IReadOnlyList<double> Ticks(double min, double max, int count = 4)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max))
            return [0, 1];
        if (max < min)
            (min, max) = (max, min);
        if (max - min < 1e-12)
        {
            var pad = Math.Abs(min) > 1e-12 ? Math.Abs(min) * 0.1 : 1;
            (min, max) = (min - pad, max + pad);
        }
        var raw = (max - min) / Math.Max(1, count);
        var mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = (raw / mag) switch
        {
            <= 1 => mag,
            <= 2 => 2 * mag,
            <= 5 => 5 * mag,
            _ => 10 * mag,
        };
        var first = Math.Floor(min / step + 1e-9) * step;
        var ticks = new List<double>();
        for (var v = first; v <= max + step * 1e-6 || ticks.Count < 2; v += step)
            ticks.Add(Math.Round(v / step) * step);
        if (ticks[^1] < max - step * 1e-6)
            ticks.Add(ticks[^1] + step);
        return ticks;
    }

    /// <summary>A tick's text: as many decimals as the step between ticks needs.</summary>
    public static string TickText(double value, IReadOnlyList<double> ticks)
    {
        var step = ticks.Count > 1 ? Math.Abs(ticks[1] - ticks[0]) : 1;
        var decimals = step >= 1 ? 0 : (int)Math.Ceiling(-Math.Log10(step) - 1e-9);
        return value.ToString("F" + Math.Clamp(decimals, 0, 6), Inv);
    }

    /// <summary>
    /// A line chart with numeric axes (or the x ticks given, e.g. dates), one polyline per series (class
    /// <c>CLASS-line</c>) and one circle per point (class <c>CLASS-point</c>, <c>data-value</c>, a tooltip); values are
    /// written beside the points when a series has at most <paramref name="maxLabels"/> points, else beside its first,
    /// last and highest. Points whose coordinates are not finite are left out.
    /// </summary>
    public static string LineChart(
        string id,
        string xTitle,
        string yTitle,
        IReadOnlyList<ChartSeries> series,
        IReadOnlyList<(double X, string Text)>? xTicks = null,
        int width = 640,
        int height = 240,
        int maxLabels = 12
    )
    {
        // a point that is not a finite number (a diverged loss) has no place on the axes: it is left out
        series =
        [
            .. series.Select(s =>
                s with
                {
                    Points = [.. s.Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y))],
                }
            ),
        ];
        var points = series.SelectMany(s => s.Points).ToList();
        var sb = new StringBuilder();
        sb.Append(
            CultureInfo.InvariantCulture,
            $"<svg id=\"{id}\" class=\"chart\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\" style=\"font:11px sans-serif\">"
        );
        if (points.Count == 0)
        {
            sb.Append("<text x=\"10\" y=\"20\">no data</text></svg>");
            return sb.ToString();
        }
        var xs = xTicks is { Count: > 0 }
            ? [.. xTicks.Select(t => t.X)]
            : Ticks(points.Min(p => p.X), points.Max(p => p.X), 6);
        var ys = Ticks(points.Min(p => p.Y), points.Max(p => p.Y));
        double x0 = xs[0],
            x1 = xs[^1],
            y0 = ys[0],
            y1 = ys[^1];
        if (x1 - x0 < 1e-12)
            (x0, x1) = (x0 - 1, x1 + 1);
        double plotW = width - Left - Right,
            plotH = height - Top - Bottom;
        double X(double v) => Left + (v - x0) / (x1 - x0) * plotW;
        double Y(double v) => Top + plotH - (v - y0) / (y1 - y0) * plotH;
        string N(double v) => v.ToString("F1", Inv);

        // grid and axes
        foreach (var t in ys)
            sb.Append(
                    $"<line class=\"grid\" x1=\"{Left}\" x2=\"{width - Right}\" y1=\"{N(Y(t))}\" y2=\"{N(Y(t))}\" stroke=\"#eee\"/>"
                )
                .Append(
                    $"<text class=\"y-tick\" x=\"{Left - 6}\" y=\"{N(Y(t) + 4)}\" text-anchor=\"end\">{TickText(t, ys)}</text>"
                );
        sb.Append(
            $"<line class=\"y-axis\" x1=\"{Left}\" x2=\"{Left}\" y1=\"{Top}\" y2=\"{Top + plotH}\" stroke=\"#333\"/>"
        );
        sb.Append(
            $"<line class=\"x-axis\" x1=\"{Left}\" x2=\"{width - Right}\" y1=\"{N(Top + plotH)}\" y2=\"{N(Top + plotH)}\" stroke=\"#333\"/>"
        );
        var xLabels = xTicks is { Count: > 0 } ? xTicks : [.. xs.Select(v => (v, TickText(v, xs)))];
        var every = Math.Max(1, (int)Math.Ceiling(xLabels.Count / (plotW / 70.0))); // at most one label per 70 px
        for (var i = 0; i < xLabels.Count; i++)
        {
            var (v, text) = xLabels[i];
            sb.Append(
                $"<line x1=\"{N(X(v))}\" x2=\"{N(X(v))}\" y1=\"{N(Top + plotH)}\" y2=\"{N(Top + plotH + 4)}\" stroke=\"#333\"/>"
            );
            if (i % every == 0 || i == xLabels.Count - 1)
                sb.Append(
                    $"<text class=\"x-tick\" x=\"{N(X(v))}\" y=\"{N(Top + plotH + 16)}\" text-anchor=\"middle\">{H(text)}</text>"
                );
        }
        sb.Append(
            $"<text class=\"x-title\" x=\"{N(Left + plotW / 2)}\" y=\"{height - 8}\" text-anchor=\"middle\">{H(xTitle)}</text>"
        );
        sb.Append(
            $"<text class=\"y-title\" transform=\"translate(14,{N(Top + plotH / 2)}) rotate(-90)\" text-anchor=\"middle\">{H(yTitle)}</text>"
        );

        // series
        var legendX = Left + 8.0;
        foreach (var s in series)
        {
            if (s.Points.Count == 0)
                continue;
            if (s.Points.Count > 1)
                sb.Append(
                        $"<polyline class=\"{s.Class}-line\" fill=\"none\" stroke=\"{s.Colour}\" stroke-width=\"1.5\" points=\""
                    )
                    .Append(string.Join(" ", s.Points.Select(p => $"{N(X(p.X))},{N(Y(p.Y))}")))
                    .Append("\"/>");
            var labelled = new HashSet<int>();
            if (s.Points.Count <= maxLabels)
                labelled.UnionWith(Enumerable.Range(0, s.Points.Count));
            else
            {
                labelled.Add(0);
                labelled.Add(s.Points.Count - 1);
                var best = 0;
                for (var i = 1; i < s.Points.Count; i++)
                    if (s.Points[i].Y > s.Points[best].Y)
                        best = i;
                labelled.Add(best);
            }
            for (var i = 0; i < s.Points.Count; i++)
            {
                var p = s.Points[i];
                sb.Append(
                    $"<circle class=\"{s.Class}-point\" cx=\"{N(X(p.X))}\" cy=\"{N(Y(p.Y))}\" r=\"3.5\" fill=\"{s.Colour}\" data-value=\"{H(p.Label)}\""
                );
                if (p.Run is not null)
                    sb.Append($" data-run=\"{H(p.Run)}\"");
                sb.Append($"><title>{H(s.Name)}: {H(p.Label)}</title></circle>");
                if (labelled.Contains(i))
                    sb.Append(
                        $"<text class=\"value\" x=\"{N(X(p.X))}\" y=\"{N(Y(p.Y) - 7)}\" text-anchor=\"middle\" fill=\"{s.Colour}\">{H(p.Label)}</text>"
                    );
            }
            sb.Append(
                    $"<rect x=\"{N(legendX)}\" y=\"8\" width=\"10\" height=\"10\" fill=\"{s.Colour}\"/><text class=\"legend\" x=\"{N(legendX + 14)}\" y=\"17\">"
                )
                .Append(H(s.Name))
                .Append("</text>");
            legendX += 24 + 6.5 * s.Name.Length;
        }
        sb.Append("</svg>");
        return sb.ToString();
    }

    /// <summary>One bar of a timeline: a label, its start and end in seconds from the run's start, and its colour.</summary>
    public sealed record Span(string Label, double Start, double End, string Colour);

    /// <summary>A horizontal timeline (one bar per span, class <c>stage-bar</c>, its seconds written at its end) over a
    /// seconds axis.</summary>
    public static string Timeline(string id, IReadOnlyList<Span> spans, int width = 760)
    {
        const int row = 22,
            labelW = 110;
        var height = Top + spans.Count * row + Bottom - 10;
        var sb = new StringBuilder();
        sb.Append(
            $"<svg id=\"{id}\" class=\"chart\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\" style=\"font:11px sans-serif\">"
        );
        if (spans.Count == 0)
            return sb.Append("<text x=\"10\" y=\"20\">no stage has finished</text></svg>").ToString();
        var ticks = Ticks(0, Math.Max(spans.Max(s => s.End), 1e-3), 6);
        double plotW = width - labelW - Right - 40;
        string N(double v) => v.ToString("F1", Inv);
        double X(double v) => labelW + v / ticks[^1] * plotW;
        var axisY = Top + spans.Count * row;
        foreach (var t in ticks)
            sb.Append(
                    $"<line class=\"grid\" x1=\"{N(X(t))}\" x2=\"{N(X(t))}\" y1=\"{Top - 6}\" y2=\"{axisY}\" stroke=\"#eee\"/>"
                )
                .Append(
                    $"<text class=\"x-tick\" x=\"{N(X(t))}\" y=\"{axisY + 14}\" text-anchor=\"middle\">{TickText(t, ticks)}</text>"
                );
        sb.Append(
            $"<line class=\"x-axis\" x1=\"{labelW}\" x2=\"{N(X(ticks[^1]))}\" y1=\"{axisY}\" y2=\"{axisY}\" stroke=\"#333\"/>"
        );
        sb.Append(
            $"<text class=\"x-title\" x=\"{N(labelW + plotW / 2)}\" y=\"{axisY + 32}\" text-anchor=\"middle\">seconds since the run started</text>"
        );
        for (var i = 0; i < spans.Count; i++)
        {
            var s = spans[i];
            var y = Top + i * row;
            var w = Math.Max(1.5, X(s.End) - X(s.Start));
            var secs = (s.End - s.Start).ToString(s.End - s.Start < 10 ? "F2" : "F1", Inv) + " s";
            sb.Append(
                    $"<text class=\"stage-label\" x=\"{labelW - 6}\" y=\"{y + 14}\" text-anchor=\"end\">{H(s.Label)}</text>"
                )
                .Append(
                    $"<rect class=\"stage-bar\" data-stage=\"{H(s.Label)}\" x=\"{N(X(s.Start))}\" y=\"{y + 3}\" width=\"{N(w)}\" height=\"{row - 6}\" fill=\"{s.Colour}\"><title>{H(s.Label)}: {N(s.Start)}–{N(s.End)} s</title></rect>"
                )
                .Append($"<text class=\"value\" x=\"{N(X(s.Start) + w + 4)}\" y=\"{y + 14}\">{secs}</text>");
        }
        return sb.Append("</svg>").ToString();
    }

    private static string H(string s) => WebUtility.HtmlEncode(s);
}
