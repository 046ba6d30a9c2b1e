using System.Diagnostics;
using System.Globalization;
using BatchRec.Core;
using BatchRec.Core.Nn;
using BatchRec.Jobs.Runs;
using Serilog;
using TorchSharp;

namespace BatchRec.Jobs.Bench;

/// <summary>The sizes and settings of one <see cref="AnnBench"/> run.</summary>
public sealed record AnnBenchSpec(IReadOnlyList<int> Items, int Dim, int Queries, int K, int Seed, SearchConfig Search);

/// <summary>
/// The nearest-neighbour benchmark (`batchrec bench-ann`): for each size, synthetic clustered vectors (below), the
/// HNSW graph of <see cref="VectorSearch.build"/> built over all of them and searched for a seeded sample of
/// rows, against <see cref="VectorSearch.exact"/> on the CPU for the same sample. Rows: the graph's build
/// seconds, the sample's search seconds, recall@k of the graph's neighbours against the exact ones, the exact
/// search's seconds for the sample and, extrapolated linearly in the number of queries (exact search costs the same
/// per query), for all n rows, and the process's peak RSS. Appended to <c>results/bench.csv</c> like
/// <see cref="ScaleBench"/>'s rows.
/// <para>
/// The vectors are a mixture of Gaussians of low intrinsic dimension: n / 500 cluster centres (at least 16), each row
/// its centre plus a point of an 8-dimensional subspace of the cluster's plus a little isotropic noise. Text
/// embeddings and learned item factors group by topic and vary along few directions within a topic; uniformly random
/// vectors in hundreds of dimensions are nearly equidistant, a worst case for any graph search that real catalogues
/// do not resemble.
/// </para>
/// </summary>
public static class AnnBench
{
    private const int Subspace = 8;

    /// <summary>The synthetic matrix: <paramref name="n"/> rows × <paramref name="dim"/>, row-major, the same for the
    /// same arguments (each row from its own seeded generator, so also in parallel).</summary>
    public static float[] Vectors(int n, int dim, int seed)
    {
        var clusters = Math.Max(16, n / 500);
        var rng = new Random(seed);
        var scale = 1.0 / Math.Sqrt(dim);
        // per cluster: the centre (norm ≈ 1) and an orthogonal-ish basis of the cluster's subspace (each norm ≈ 1)
        var centres = new float[clusters * dim];
        var bases = new float[clusters * Subspace * dim];
        for (var i = 0; i < centres.Length; i++)
            centres[i] = (float)(Gaussian(rng) * scale);
        for (var i = 0; i < bases.Length; i++)
            bases[i] = (float)(Gaussian(rng) * scale);
        var vectors = new float[(long)n * dim];
        Parallel.For(0, n, row =>
        {
            var r = new Random(HashCode.Combine(seed, row));
            var c = r.Next(clusters);
            var off = (long)row * dim;
            for (var d = 0; d < dim; d++)
                vectors[off + d] = centres[c * dim + d] + (float)(0.2 * scale * Gaussian(r));
            for (var s = 0; s < Subspace; s++)
            {
                // the subspace part has norm ≈ 0.5 in all
                var z = (float)(0.5 / Math.Sqrt(Subspace) * Gaussian(r));
                var b = (c * Subspace + s) * dim;
                for (var d = 0; d < dim; d++)
                    vectors[off + d] += z * bases[b + d];
            }
        });
        return vectors;
    }

    private static double Gaussian(Random r) =>
        Math.Sqrt(-2.0 * Math.Log(1.0 - r.NextDouble())) * Math.Cos(2.0 * Math.PI * r.NextDouble());

    /// <summary>The mean over queries of |graph's ∩ exact's| / |exact's| (queries with no exact neighbours left
    /// out).</summary>
    public static double Recall(Neighbours approximate, Neighbours exact)
    {
        double sum = 0;
        var counted = 0;
        var k = exact.K;
        for (var q = 0; q < exact.Items.Length / Math.Max(1, k); q++)
        {
            var truth = new HashSet<int>();
            for (var p = 0; p < k; p++)
                if (exact.Items[q * k + p] >= 0)
                    truth.Add(exact.Items[q * k + p]);
            if (truth.Count == 0)
                continue;
            var hit = 0;
            for (var p = 0; p < approximate.K; p++)
                if (truth.Contains(approximate.Items[q * approximate.K + p]))
                    hit++;
            sum += (double)hit / truth.Count;
            counted++;
        }
        return counted == 0 ? double.NaN : sum / counted;
    }

    public static async Task<IReadOnlyList<BenchRow>> RunAsync(
        AnnBenchSpec spec,
        string label,
        string command,
        string resultsDir,
        ILogger log,
        CancellationToken ct
    )
    {
        var started = DateTimeOffset.UtcNow;
        var machine = ScaleBench.Machine();
        var s = spec.Search;
        var model = string.Create(
            CultureInfo.InvariantCulture,
            $"hnsw M={s.Connectivity} efAdd={s.ExpansionAdd} efSearch={s.ExpansionSearch} threads={s.Threads}"
        );
        var rows = new List<BenchRow>();
        foreach (var n in spec.Items)
        {
            ct.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            var vectors = Vectors(n, spec.Dim, spec.Seed);
            var generated = clock.Elapsed.TotalSeconds;
            var candidates = Enumerable.Repeat(true, n).ToArray();
            var rows0 = Enumerable.Range(0, n).ToArray();
            new Random(spec.Seed).Shuffle(rows0);
            var sample = rows0[..Math.Min(spec.Queries, n)].Order().ToArray();
            // libtorch loads on its first call: outside the timed exact search
            VectorSearch.exact(torch.CPU, 1, [1f, 1f], [true, true], [0], 1);
            ProcessMemory.ResetPeak();

            clock.Restart();
            Neighbours found;
            double buildSeconds;
            using (var index = VectorSearch.build(s, spec.Dim, vectors, candidates))
            {
                buildSeconds = clock.Elapsed.TotalSeconds;
                log.Information("bench-ann {Items}: HNSW built in {Seconds:F1} s", n, buildSeconds);
                clock.Restart();
                found = index.Search(sample, spec.K);
            }
            var searchSeconds = clock.Elapsed.TotalSeconds;

            clock.Restart();
            var exact = VectorSearch.exact(torch.CPU, spec.Dim, vectors, candidates, sample, spec.K);
            var exactSeconds = clock.Elapsed.TotalSeconds;
            var recall = Recall(found, exact);
            var peak = ProcessMemory.PeakBytes() is { } b ? b / 1048576.0 : double.NaN;
            var q = sample.Length;
            var data = string.Create(
                CultureInfo.InvariantCulture,
                $"{n} synthetic clustered vectors × {spec.Dim} (seed {spec.Seed}, generated in {generated:F1} s)"
            );

            BenchRow Row(string stage, double seconds, double rate, string unit, string notes) =>
                new()
                {
                    DateUtc = started.ToString("yyyy-MM-dd'T'HH:mm'Z'", CultureInfo.InvariantCulture),
                    Label = label,
                    Machine = machine,
                    Command = command,
                    RunId = "",
                    Interactions = 0,
                    Users = 0,
                    Items = n,
                    Model = model,
                    Stage = stage,
                    Seconds = seconds,
                    PeakRssMiB = peak,
                    Rate = rate,
                    Unit = unit,
                    Notes = notes,
                };
            var size = new List<BenchRow>
            {
                Row("ann-build", buildSeconds, n / buildSeconds, "vectors/s", data),
                Row(
                    "ann-search",
                    searchSeconds,
                    q / searchSeconds,
                    "queries/s",
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"{q} sampled queries, k {spec.K}: {1000 * searchSeconds / q:F3} ms per query"
                    )
                ),
                Row(
                    "ann-recall",
                    0,
                    recall,
                    $"recall@{spec.K}",
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"the graph's neighbours vs exact search on {q} queries"
                    )
                ),
                Row(
                    "exact-sample",
                    exactSeconds,
                    q / exactSeconds,
                    "queries/s",
                    string.Create(CultureInfo.InvariantCulture, $"exact cosine top-{spec.K} on the CPU, {q} queries")
                ),
                Row(
                    "exact-all-extrapolated",
                    exactSeconds * n / q,
                    n / (exactSeconds * n / q),
                    "queries/s",
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"extrapolated, not measured: exact-sample's seconds × {n} / {q}"
                    )
                ),
            };
            foreach (var r in size)
                log.Information(
                    "bench {Label} {Items} {Stage}: {Seconds:F2} s, {Rate:F4} {Unit}, peak {Peak:F0} MiB; {Notes}",
                    label,
                    n,
                    r.Stage,
                    r.Seconds,
                    r.Rate,
                    r.Unit,
                    r.PeakRssMiB,
                    r.Notes
                );
            rows.AddRange(size);
            // each size's rows are written as soon as they exist, so a long run leaves the finished sizes
            await ScaleBench.WriteAsync(resultsDir, $"{label}-{n}", started, size, ct);
        }
        return rows;
    }
}
