namespace BatchRec.Core.Train

open System.Threading

/// libtorch's random generator, which draws parameter initialisations and dropout masks, is one per process: two
/// trainings at once (two runs of a backfill on one host's workers, or parallel tests) would interleave their draws
/// and neither would be reproducible. This module is the one owner of that process-wide resource: a training holds
/// it for its whole length, seeded at the start.
module TorchRandom =

    /// Waits for the generator (other trainings in this process finish first), seeds it with `seed`, runs `f` and
    /// releases it, also when `f` throws. Throws OperationCanceledException when `ct` is cancelled while waiting.
    /// Not reentrant: `f` must not call exclusive again.
    val exclusive: seed: int64 -> ct: CancellationToken -> f: (unit -> 'T) -> 'T
