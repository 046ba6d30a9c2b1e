namespace BatchRec.Core

open System

/// Why the ingest stage set a row aside. A row gets the first reason that applies, in this order:
/// ids (null, empty, too long: user before item), then the timestamp, then the weight (not finite; negative and zero
/// only when their rule quarantines them), then the items table.
[<RequireQualifiedAccess>]
module Reason =
    [<Literal>]
    val UserIdNull: string = "user_id_null"

    [<Literal>]
    val UserIdEmpty: string = "user_id_empty"

    [<Literal>]
    val UserIdTooLong: string = "user_id_too_long"

    [<Literal>]
    val ItemIdNull: string = "item_id_null"

    [<Literal>]
    val ItemIdEmpty: string = "item_id_empty"

    [<Literal>]
    val ItemIdTooLong: string = "item_id_too_long"

    [<Literal>]
    val TimestampNull: string = "timestamp_null"

    [<Literal>]
    val TimestampOutOfRange: string = "timestamp_out_of_range"

    [<Literal>]
    val WeightNotFinite: string = "weight_not_finite"

    [<Literal>]
    val WeightNegative: string = "weight_negative"

    [<Literal>]
    val WeightZero: string = "weight_zero"

    [<Literal>]
    val ItemUnknown: string = "item_unknown"

    /// Every reason, in the order they are checked.
    val All: string list

/// The row rules of the ingest stage, from `IngestConfig`.
type IngestRules =
    {
        /// Inclusive sane range of event times, epoch seconds.
        MinTimestamp: int64
        MaxTimestamp: int64
        /// Integer timestamp columns hold milliseconds (else seconds).
        Milliseconds: bool
        /// Longest accepted id, UTF-16 code units.
        MaxIdLength: int
        /// Quarantine rows whose (finite) weight is below 0 (`ingest.negativeWeights: quarantine`), else keep them.
        QuarantineNegativeWeights: bool
        /// Quarantine rows whose weight is 0 or -0 (`ingest.zeroWeights: quarantine`), else keep them.
        QuarantineZeroWeights: bool
    }

/// Pure rules of the ingest stage: row validation, deduplication, the partition window and the bad-row ceiling.
/// The shell streams Parquet and calls these per row group and per partition.
[<RequireQualifiedAccess>]
module Ingest =
    /// The rules of an `IngestConfig`.
    val rules: cfg: IngestConfig -> IngestRules

    /// Epoch seconds of an integer timestamp value: the value itself, or floor(value / 1000) for milliseconds.
    /// evaluates to: toSeconds { r with Milliseconds = true } -1L = -1L
    val toSeconds: rules: IngestRules -> raw: int64 -> int64

    /// The reason row (user, item, seconds, weight) must be quarantined, or null when it is good. Ids are checked as
    /// given (a string of spaces is empty; any other unicode is accepted); `seconds` is null when the file held null;
    /// a negative or zero weight is a reason only under the rule that quarantines it. O(id length).
    /// evaluates to: check r "u1" "" (Nullable 5L) 1.0f = "item_id_empty";
    /// check { r with QuarantineNegativeWeights = true } "u1" "i" (Nullable 5L) -1.0f = "weight_negative"
    val check:
        rules: IngestRules -> user: string -> item: string -> seconds: Nullable<int64> -> weight: float32 -> string

    /// Indices of the rows to keep when rows equal on (user, item, timestamp, event) are one event: of each group the
    /// row with the largest weight (then the lowest index) is kept, so the result does not depend on row order when
    /// the indices are canonical. Returned in (user, item, timestamp, event) order. Weights must not be NaN.
    /// O(n log n). Throws ArgumentException when the arrays differ in length.
    /// evaluates to: dedupe [|0;0|] [|1;1|] [|5L;5L|] [|0;0|] [|1.0f;2.0f|] = [| 1 |]
    val dedupe: users: int[] -> items: int[] -> timestamps: int64[] -> events: int[] -> weights: float32[] -> int[]

    /// Whether hive partition `partition` (a YYYY-MM-DD date, or null for files outside any dt= folder) is read on
    /// `runDate`: with `windowDays` = 0 every partition is; otherwise dates in (runDate − windowDays, runDate].
    /// Files outside dt= folders are always read.
    /// evaluates to: inWindow 2 (DateOnly(2026,11,28)) "2026-11-27" = true; inWindow 2 (DateOnly(2026,11,28)) "2026-11-26" = false
    val inWindow: windowDays: int -> runDate: DateOnly -> partition: string -> bool

    /// Whether `quarantined` of `read` rows is more than `maxBadFraction` (false when nothing was read).
    val exceedsCeiling: maxBadFraction: float -> read: int64 -> quarantined: int64 -> bool
