namespace BatchRec.Core

/// Column and folder names of every table BatchRec reads or writes: the one place they are spelled.
[<RequireQualifiedAccess>]
module Schema =
    [<RequireQualifiedAccess>]
    module Input =
        let Interactions = "interactions"
        let Items = "items"
        let Users = "users"
        let UserId = "user_id"
        let ItemId = "item_id"
        let Timestamp = "timestamp"
        let Weight = "weight"
        let EventType = "event_type"
        let Title = "title"
        let Text = "text"
        let Tags = "tags"

    [<RequireQualifiedAccess>]
    module Output =
        let Recommendations = "recommendations"
        let Metrics = "metrics"
        let Manifests = "manifests"
        let SuccessMarker = "_SUCCESS"
        let UserId = "user_id"
        let Rank = "rank"
        let ItemId = "item_id"
        let Score = "score"
        let Model = "model"
        let RunId = "run_id"
        let Split = "split"
        let Metric = "metric"
        let K = "k"
        let Value = "value"
