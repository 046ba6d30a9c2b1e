using System.Runtime.InteropServices;
using BatchRec.Core.Train;

namespace BatchRec.Jobs.Store;

/// <summary>
/// A trained model on disk: <c>factors.bin</c> ("BRF1", int32 users, items, dim, then users×dim and items×dim
/// little-endian float32) and <c>model.json</c> with what training reported.
/// </summary>
public static class ModelStore
{
    private static readonly byte[] Magic = "BRF1"u8.ToArray();

    public sealed record ModelInfo(string Kind, int Dim, int Users, int Items, int BestEpoch, int EpochsRun,
        double BestValid, bool StoppedEarly, double SecondsPerEpoch);

    public static void Write(string dir, TrainedModel model)
    {
        Directory.CreateDirectory(dir);
        int users = model.UserFactors.Length / model.Dim, items = model.ItemFactors.Length / model.Dim;
        var tmp = Path.Combine(dir, "factors.bin.tmp");
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write))
        using (var w = new BinaryWriter(fs))
        {
            w.Write(Magic);
            w.Write(users);
            w.Write(items);
            w.Write(model.Dim);
            w.Write(MemoryMarshal.AsBytes(model.UserFactors.AsSpan()));
            w.Write(MemoryMarshal.AsBytes(model.ItemFactors.AsSpan()));
        }
        File.Move(tmp, Path.Combine(dir, "factors.bin"), overwrite: true);
        Runs.Json.WriteAtomic(Path.Combine(dir, "model.json"), new ModelInfo(model.Kind, model.Dim, users, items,
            model.BestEpoch, model.EpochsRun, model.BestValid, model.StoppedEarly, model.SecondsPerEpoch));
    }

    public static ModelInfo ReadInfo(string dir) => Runs.Json.Read<ModelInfo>(Path.Combine(dir, "model.json"));

    public static TrainedModel Read(string dir)
    {
        var info = ReadInfo(dir);
        var path = Path.Combine(dir, "factors.bin");
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read);
        using var r = new BinaryReader(fs);
        if (!r.ReadBytes(4).AsSpan().SequenceEqual(Magic))
            throw new InvalidDataException($"'{path}' is not a BatchRec factor file (bad magic).");
        int users = r.ReadInt32(), items = r.ReadInt32(), dim = r.ReadInt32();
        if (users != info.Users || items != info.Items || dim != info.Dim)
            throw new InvalidDataException($"'{path}' holds {users}×{items}×{dim} factors but model.json says {info.Users}×{info.Items}×{info.Dim}.");
        var u = new float[(long)users * dim];
        var i = new float[(long)items * dim];
        r.BaseStream.ReadExactly(MemoryMarshal.AsBytes(u.AsSpan()));
        r.BaseStream.ReadExactly(MemoryMarshal.AsBytes(i.AsSpan()));
        return new TrainedModel(info.Kind, dim, u, i, info.BestEpoch, info.EpochsRun, info.BestValid, info.StoppedEarly, info.SecondsPerEpoch);
    }
}
