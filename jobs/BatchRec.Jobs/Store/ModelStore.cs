using System.Runtime.InteropServices;
using BatchRec.Core.Train;
using Microsoft.FSharp.Collections;

namespace BatchRec.Jobs.Store;

/// <summary>
/// A trained model on disk: <c>factors.bin</c> ("BRF1", int32 users, items, dim, then users×dim and items×dim
/// little-endian float32; dim may be 0), for models with an item–item part (EASE) <c>weights.bin</c> ("BRW1", int32
/// items, then items×items little-endian float32, row-major), and <c>model.json</c> with what training reported.
/// Each file is written to a temporary name and renamed, weights before factors and model.json last.
/// </summary>
public static class ModelStore
{
    private static readonly byte[] Magic = "BRF1"u8.ToArray();
    private static readonly byte[] WeightsMagic = "BRW1"u8.ToArray();

    public sealed record ModelInfo(
        string Kind,
        int Dim,
        int Users,
        int Items,
        int BestEpoch,
        int EpochsRun,
        double BestValid,
        bool StoppedEarly,
        double SecondsPerEpoch,
        bool ItemWeights = false,
        IReadOnlyList<TuningPoint>? Tuning = null
    );

    public static void Write(string dir, TrainedModel model)
    {
        Directory.CreateDirectory(dir);
        int users = model.NumUsers,
            items = model.NumItems;
        var weightsPath = Path.Combine(dir, "weights.bin");
        if (model.ItemWeights.Length > 0)
            WriteAtomic(weightsPath, w =>
            {
                w.Write(WeightsMagic);
                w.Write(items);
                w.Write(MemoryMarshal.AsBytes(model.ItemWeights.AsSpan()));
            });
        else if (File.Exists(weightsPath))
            File.Delete(weightsPath);
        WriteAtomic(Path.Combine(dir, "factors.bin"), w =>
        {
            w.Write(Magic);
            w.Write(users);
            w.Write(items);
            w.Write(model.Dim);
            w.Write(MemoryMarshal.AsBytes(model.UserFactors.AsSpan()));
            w.Write(MemoryMarshal.AsBytes(model.ItemFactors.AsSpan()));
        });
        Runs.Json.WriteAtomic(
            Path.Combine(dir, "model.json"),
            new ModelInfo(
                model.Kind,
                model.Dim,
                users,
                items,
                model.BestEpoch,
                model.EpochsRun,
                model.BestValid,
                model.StoppedEarly,
                model.SecondsPerEpoch,
                model.ItemWeights.Length > 0,
                [.. model.Tuning]
            )
        );
    }

    private static void WriteAtomic(string path, Action<BinaryWriter> write)
    {
        var tmp = path + ".tmp";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write))
        using (var w = new BinaryWriter(fs))
            write(w);
        File.Move(tmp, path, overwrite: true);
    }

    public static ModelInfo ReadInfo(string dir) => Runs.Json.Read<ModelInfo>(Path.Combine(dir, "model.json"));

    /// <summary>Whether <paramref name="dir"/> holds a complete model (model.json and the files it names).</summary>
    public static bool Exists(string dir)
    {
        if (!File.Exists(Path.Combine(dir, "model.json")) || !File.Exists(Path.Combine(dir, "factors.bin")))
            return false;
        return !ReadInfo(dir).ItemWeights || File.Exists(Path.Combine(dir, "weights.bin"));
    }

    public static TrainedModel Read(string dir)
    {
        var info = ReadInfo(dir);
        var path = Path.Combine(dir, "factors.bin");
        float[] u,
            i;
        using (var fs = new FileStream(path, FileMode.Open, FileAccess.Read))
        using (var r = new BinaryReader(fs))
        {
            if (!r.ReadBytes(4).AsSpan().SequenceEqual(Magic))
                throw new InvalidDataException($"'{path}' is not a BatchRec factor file (bad magic).");
            int users = r.ReadInt32(),
                items = r.ReadInt32(),
                dim = r.ReadInt32();
            if (users != info.Users || items != info.Items || dim != info.Dim)
                throw new InvalidDataException(
                    $"'{path}' holds {users}×{items}×{dim} factors but model.json says {info.Users}×{info.Items}×{info.Dim}."
                );
            u = new float[(long)users * dim];
            i = new float[(long)items * dim];
            r.BaseStream.ReadExactly(MemoryMarshal.AsBytes(u.AsSpan()));
            r.BaseStream.ReadExactly(MemoryMarshal.AsBytes(i.AsSpan()));
        }
        var weights = Array.Empty<float>();
        if (info.ItemWeights)
        {
            var wpath = Path.Combine(dir, "weights.bin");
            using var fs = new FileStream(wpath, FileMode.Open, FileAccess.Read);
            using var r = new BinaryReader(fs);
            if (!r.ReadBytes(4).AsSpan().SequenceEqual(WeightsMagic))
                throw new InvalidDataException($"'{wpath}' is not a BatchRec item-weights file (bad magic).");
            var items = r.ReadInt32();
            if (items != info.Items)
                throw new InvalidDataException(
                    $"'{wpath}' holds {items}×{items} weights but model.json says {info.Items} items."
                );
            weights = new float[(long)items * items];
            r.BaseStream.ReadExactly(MemoryMarshal.AsBytes(weights.AsSpan()));
        }
        return new TrainedModel(
            info.Kind,
            info.Users,
            info.Items,
            info.Dim,
            u,
            i,
            weights,
            info.BestEpoch,
            info.EpochsRun,
            info.BestValid,
            info.StoppedEarly,
            info.SecondsPerEpoch,
            ListModule.OfSeq(info.Tuning ?? [])
        );
    }
}
