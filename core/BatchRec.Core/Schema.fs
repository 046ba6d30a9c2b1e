namespace BatchRec.Core

[<RequireQualifiedAccess>]
module Schema =
    [<RequireQualifiedAccess>]
    module Input =
        [<Literal>]
        let Interactions = "interactions"

        [<Literal>]
        let Items = "items"

        [<Literal>]
        let Users = "users"

        [<Literal>]
        let UserId = "user_id"

        [<Literal>]
        let ItemId = "item_id"

        [<Literal>]
        let Timestamp = "timestamp"

        [<Literal>]
        let Weight = "weight"

        [<Literal>]
        let EventType = "event_type"

        [<Literal>]
        let Title = "title"

        [<Literal>]
        let Text = "text"

        [<Literal>]
        let Tags = "tags"

        [<Literal>]
        let Embedding = "embedding"

    [<RequireQualifiedAccess>]
    module Quarantine =
        [<Literal>]
        let Table = "quarantine"

        [<Literal>]
        let UserId = "user_id"

        [<Literal>]
        let ItemId = "item_id"

        [<Literal>]
        let Timestamp = "timestamp"

        [<Literal>]
        let Weight = "weight"

        [<Literal>]
        let EventType = "event_type"

        [<Literal>]
        let SourceFile = "source_file"

        [<Literal>]
        let SourceRow = "source_row"

        [<Literal>]
        let Partition = "partition"

        [<Literal>]
        let Reason = "reason"

        [<Literal>]
        let RunId = "run_id"

    [<RequireQualifiedAccess>]
    module Output =
        [<Literal>]
        let Recommendations = "recommendations"

        [<Literal>]
        let Metrics = "metrics"

        [<Literal>]
        let SimilarItems = "similar_items"

        [<Literal>]
        let SimilarItemId = "similar_item_id"

        [<Literal>]
        let SimilarityKind = "similarity_kind"

        [<Literal>]
        let Manifests = "manifests"

        [<Literal>]
        let SuccessMarker = "_SUCCESS"

        [<Literal>]
        let UserId = "user_id"

        [<Literal>]
        let Rank = "rank"

        [<Literal>]
        let ItemId = "item_id"

        [<Literal>]
        let Score = "score"

        [<Literal>]
        let Model = "model"

        [<Literal>]
        let RunId = "run_id"

        [<Literal>]
        let Split = "split"

        [<Literal>]
        let Metric = "metric"

        [<Literal>]
        let K = "k"

        [<Literal>]
        let Value = "value"

        [<Literal>]
        let Role = "role"

        [<Literal>]
        let Setting = "setting"

        [<Literal>]
        let ReasonItemId = "reason_item_id"

        [<Literal>]
        let ReasonKind = "reason_kind"

        [<Literal>]
        let ColdStart = "cold_start"

        [<Literal>]
        let Comparison = "comparison"
