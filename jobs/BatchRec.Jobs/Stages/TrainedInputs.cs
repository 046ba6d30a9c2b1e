using BatchRec.Core;
using BatchRec.Core.Train;
using BatchRec.Jobs.Runs;
using BatchRec.Jobs.Store;
using TorchSharp;

namespace BatchRec.Jobs.Stages;

/// <summary>What the stages after training read: the snapshot, its split graphs, the trained model and the device.</summary>
public sealed record TrainedInputs(Snapshot Snapshot, SplitGraphs Graphs, TrainedModel Model, torch.Device Device)
{
    /// <summary>Loads them from the run folder; the device is chosen once, from the run's config.</summary>
    public static async Task<TrainedInputs> LoadAsync(RunFolder folder, Core.Config config, CancellationToken ct)
    {
        var snapshot = await SnapshotStore.ReadAsync(folder.SnapshotDir, ct);
        return new TrainedInputs(
            snapshot,
            Pipeline.splitGraphs(snapshot),
            ModelStore.Read(folder.ModelDir),
            Pipeline.chooseDevice(config.Train.Device)
        );
    }
}
