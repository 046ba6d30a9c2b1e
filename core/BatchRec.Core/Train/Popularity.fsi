namespace BatchRec.Core.Train

open BatchRec.Core

/// The popularity model (model.kind popularity): counted, not trained.
[<RequireQualifiedAccess>]
module Popularity =

    /// Popularity: every user gets the items with the most training interactions (as 1-dim factors: user 1,
    /// item = its training count, so ranking and scoring need no special case).
    val fit: cfg: Config -> graphs: SplitGraphs -> TrainedModel
