namespace BatchRec.Core

open System
open System.Globalization

[<RequireQualifiedAccess>]
module Reason =
    [<Literal>]
    let UserIdNull = "user_id_null"

    [<Literal>]
    let UserIdEmpty = "user_id_empty"

    [<Literal>]
    let UserIdTooLong = "user_id_too_long"

    [<Literal>]
    let ItemIdNull = "item_id_null"

    [<Literal>]
    let ItemIdEmpty = "item_id_empty"

    [<Literal>]
    let ItemIdTooLong = "item_id_too_long"

    [<Literal>]
    let TimestampNull = "timestamp_null"

    [<Literal>]
    let TimestampOutOfRange = "timestamp_out_of_range"

    [<Literal>]
    let WeightNotFinite = "weight_not_finite"

    [<Literal>]
    let WeightNegative = "weight_negative"

    [<Literal>]
    let WeightZero = "weight_zero"

    [<Literal>]
    let ItemUnknown = "item_unknown"

    let All =
        [
            UserIdNull
            UserIdEmpty
            UserIdTooLong
            ItemIdNull
            ItemIdEmpty
            ItemIdTooLong
            TimestampNull
            TimestampOutOfRange
            WeightNotFinite
            WeightNegative
            WeightZero
            ItemUnknown
        ]

type IngestRules =
    {
        MinTimestamp: int64
        MaxTimestamp: int64
        Milliseconds: bool
        MaxIdLength: int
        QuarantineNegativeWeights: bool
        QuarantineZeroWeights: bool
    }

[<RequireQualifiedAccess>]
module Ingest =
    let rules (cfg: IngestConfig) =
        {
            MinTimestamp = cfg.MinTimestamp
            MaxTimestamp = cfg.MaxTimestamp
            Milliseconds = (cfg.TimestampUnit = TimestampUnit.Milliseconds)
            MaxIdLength = cfg.MaxIdLength
            QuarantineNegativeWeights = (cfg.NegativeWeights = RowPolicy.Quarantine)
            QuarantineZeroWeights = (cfg.ZeroWeights = RowPolicy.Quarantine)
        }

    let toSeconds (rules: IngestRules) (raw: int64) =
        if rules.Milliseconds then
            (if raw >= 0L then
                 raw / 1000L
             else
                 -((-(raw + 1L)) / 1000L) - 1L)
        else
            raw

    let private idReason (rules: IngestRules) (id: string) nullReason emptyReason longReason =
        if isNull id then nullReason
        elif String.IsNullOrWhiteSpace id then emptyReason
        elif id.Length > rules.MaxIdLength then longReason
        else null

    let check (rules: IngestRules) (user: string) (item: string) (seconds: Nullable<int64>) (weight: float32) : string =
        match idReason rules user Reason.UserIdNull Reason.UserIdEmpty Reason.UserIdTooLong with
        | null ->
            match idReason rules item Reason.ItemIdNull Reason.ItemIdEmpty Reason.ItemIdTooLong with
            | null ->
                if not seconds.HasValue then
                    Reason.TimestampNull
                elif seconds.Value < rules.MinTimestamp || seconds.Value > rules.MaxTimestamp then
                    Reason.TimestampOutOfRange
                elif not (Single.IsFinite weight) then
                    Reason.WeightNotFinite
                elif weight < 0.0f && rules.QuarantineNegativeWeights then
                    Reason.WeightNegative
                elif weight = 0.0f && rules.QuarantineZeroWeights then
                    Reason.WeightZero // -0 included
                else
                    null
            | r -> r
        | r -> r

    let dedupe (users: int[]) (items: int[]) (timestamps: int64[]) (events: int[]) (weights: float32[]) : int[] =
        let n = users.Length

        if
            items.Length <> n
            || timestamps.Length <> n
            || events.Length <> n
            || weights.Length <> n
        then
            invalidArg "items" "users, items, timestamps, events and weights must have the same length"

        let order = Array.init n id

        let sameEvent a b =
            users.[a] = users.[b]
            && items.[a] = items.[b]
            && timestamps.[a] = timestamps.[b]
            && events.[a] = events.[b]

        Array.Sort(
            order,
            Comparison(fun a b ->
                let c = compare users.[a] users.[b]

                if c <> 0 then
                    c
                else
                    let c = compare items.[a] items.[b]

                    if c <> 0 then
                        c
                    else
                        let c = compare timestamps.[a] timestamps.[b]

                        if c <> 0 then
                            c
                        else
                            let c = compare events.[a] events.[b]

                            if c <> 0 then
                                c
                            else
                                let c = compare weights.[b] weights.[a] // largest weight first
                                if c <> 0 then c else compare a b)
        )

        let kept = Collections.Generic.List<int>(n)

        for k in 0 .. n - 1 do
            if k = 0 || not (sameEvent order.[k] order.[k - 1]) then
                kept.Add order.[k]

        kept.ToArray()

    let inWindow (windowDays: int) (runDate: DateOnly) (partition: string) =
        if windowDays <= 0 || isNull partition then
            true
        else
            match
                DateOnly.TryParseExact(partition, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None)
            with
            | true, d -> d <= runDate && d > runDate.AddDays(-windowDays)
            | _ -> invalidArg "partition" (sprintf "'%s' is not a YYYY-MM-DD date" partition)

    let exceedsCeiling (maxBadFraction: float) (read: int64) (quarantined: int64) =
        read > 0L && float quarantined > maxBadFraction * float read
