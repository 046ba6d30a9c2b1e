namespace BatchRec.Core

/// Column and folder names of every table BatchRec reads or writes: the one place they are spelled.
[<RequireQualifiedAccess>]
module Schema =

    /// The input tables (interactions, items, users) and their columns.
    [<RequireQualifiedAccess>]
    module Input =

        [<Literal>]
        val Interactions: string = "interactions"

        [<Literal>]
        val Items: string = "items"

        [<Literal>]
        val Users: string = "users"

        [<Literal>]
        val UserId: string = "user_id"

        [<Literal>]
        val ItemId: string = "item_id"

        [<Literal>]
        val Timestamp: string = "timestamp"

        [<Literal>]
        val Weight: string = "weight"

        [<Literal>]
        val EventType: string = "event_type"

        [<Literal>]
        val Title: string = "title"

        [<Literal>]
        val Text: string = "text"

        [<Literal>]
        val Tags: string = "tags"

        /// Optional precomputed item vectors (list<float>), used instead of encoding the item's text.
        [<Literal>]
        val Embedding: string = "embedding"

    /// The quarantine table (ingest issue): bad input rows with their original values as strings.
    [<RequireQualifiedAccess>]
    module Quarantine =

        [<Literal>]
        val Table: string = "quarantine"

        [<Literal>]
        val UserId: string = "user_id"

        [<Literal>]
        val ItemId: string = "item_id"

        [<Literal>]
        val Timestamp: string = "timestamp"

        [<Literal>]
        val Weight: string = "weight"

        [<Literal>]
        val EventType: string = "event_type"

        [<Literal>]
        val SourceFile: string = "source_file"

        [<Literal>]
        val SourceRow: string = "source_row"

        [<Literal>]
        val Partition: string = "partition"

        [<Literal>]
        val Reason: string = "reason"

        [<Literal>]
        val RunId: string = "run_id"

    /// The output tables and folders (recommendations, metrics, manifests, the success marker) and their columns.
    [<RequireQualifiedAccess>]
    module Output =

        [<Literal>]
        val Recommendations: string = "recommendations"

        [<Literal>]
        val Metrics: string = "metrics"

        /// The item-to-item table: every item's most similar items.
        [<Literal>]
        val SimilarItems: string = "similar_items"

        [<Literal>]
        val SimilarItemId: string = "similar_item_id"

        [<Literal>]
        val SimilarityKind: string = "similarity_kind"

        [<Literal>]
        val Manifests: string = "manifests"

        [<Literal>]
        val SuccessMarker: string = "_SUCCESS"

        [<Literal>]
        val UserId: string = "user_id"

        [<Literal>]
        val Rank: string = "rank"

        [<Literal>]
        val ItemId: string = "item_id"

        [<Literal>]
        val Score: string = "score"

        [<Literal>]
        val Model: string = "model"

        [<Literal>]
        val RunId: string = "run_id"

        [<Literal>]
        val Split: string = "split"

        [<Literal>]
        val Metric: string = "metric"

        [<Literal>]
        val K: string = "k"

        [<Literal>]
        val Value: string = "value"

        /// metrics: published (the published model's figures), candidate (another model.kind auto candidate) or
        /// tuning (a setting a model tried on validation, named in `setting`).
        [<Literal>]
        val Role: string = "role"

        [<Literal>]
        val Setting: string = "setting"

        [<Literal>]
        val ReasonItemId: string = "reason_item_id"

        [<Literal>]
        val ReasonKind: string = "reason_kind"

        [<Literal>]
        val ColdStart: string = "cold_start"

        [<Literal>]
        val Comparison: string = "comparison"
