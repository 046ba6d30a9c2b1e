module BatchRec.Core.Tests.IngestProperties

open System
open Xunit
open FsCheck
open FsCheck.FSharp
open FsCheck.Xunit
open BatchRec.Core

let private rules = Ingest.rules Config.Default.Ingest

/// A raw input row as a file may hold it: ids may be null, empty, blank, unicode or too long; the timestamp may be
/// null, negative or far in the future; the weight may be NaN or infinite. Values are drawn from small pools so that
/// duplicates are common.
type RawRow =
    {
        User: string
        Item: string
        Time: Nullable<int64>
        Weight: float32
        Event: string
    }

type IngestArbs =
    static member RawRows() =
        let id =
            Gen.frequency
                [
                    12, Gen.elements [ "1"; "2"; "3"; "u-ä"; "用户"; "🙂" ]
                    1, Gen.constant null
                    1, Gen.elements [ ""; "   " ]
                    1, Gen.constant (String('x', rules.MaxIdLength + 1))
                ]

        let time =
            Gen.frequency
                [
                    12,
                    Gen.elements [ 1_600_000_000L; 1_600_000_001L; 1_700_000_000L ]
                    |> Gen.map Nullable
                    1, Gen.constant (Nullable())
                    1,
                    Gen.elements [ -1L; Int64.MinValue; Int64.MaxValue; rules.MaxTimestamp + 1L ]
                    |> Gen.map Nullable
                ]

        let weight =
            Gen.frequency
                [
                    12, Gen.elements [ 1.0f; 2.0f; 5.0f ]
                    1, Gen.elements [ Single.NaN; Single.PositiveInfinity; Single.NegativeInfinity ]
                ]

        let row =
            gen {
                let! u = id
                let! i = id
                let! t = time
                let! w = weight
                let! e = Gen.elements [ ""; "click"; "buy" ]

                return
                    {
                        User = u
                        Item = i
                        Time = t
                        Weight = w
                        Event = e
                    }
            }

        Gen.arrayOf row |> Arb.fromGen

/// The rows the rules keep, interned over canonical maps, and dedupe's kept indices.
let private validateAndDedupe (rows: RawRow[]) =
    let good =
        rows
        |> Array.filter (fun r -> isNull (Ingest.check rules r.User r.Item r.Time r.Weight))

    let users = IdMap.ofIds (good |> Array.map _.User)
    let items = IdMap.ofIds (good |> Array.map _.Item)
    let events = IdMap.ofIds (good |> Array.map _.Event)

    let kept =
        Ingest.dedupe
            (good |> Array.map (fun r -> users.IndexOrMinusOne r.User))
            (good |> Array.map (fun r -> items.IndexOrMinusOne r.Item))
            (good |> Array.map (fun r -> r.Time.Value))
            (good |> Array.map (fun r -> events.IndexOrMinusOne r.Event))
            (good |> Array.map _.Weight)

    good, kept

let private keyOf (r: RawRow) = r.User, r.Item, r.Time.Value, r.Event

[<Property(Arbitrary = [| typeof<IngestArbs> |])>]
let ``kept plus quarantined plus deduplicated equals read, and one row per distinct event is kept`` (rows: RawRow[]) =
    let good, kept = validateAndDedupe rows
    let quarantined = rows.Length - good.Length
    let deduplicated = good.Length - kept.Length
    let distinct = good |> Array.map keyOf |> Array.distinct

    kept.Length + quarantined + deduplicated = rows.Length
    && kept.Length = distinct.Length
    && (kept |> Array.map (fun k -> keyOf good.[k]) |> Array.sort) = (distinct |> Array.sort)

[<Property(Arbitrary = [| typeof<IngestArbs> |])>]
let ``dedupe keeps the largest weight of each event`` (rows: RawRow[]) =
    let good, kept = validateAndDedupe rows

    let best =
        good
        |> Array.groupBy keyOf
        |> Array.map (fun (k, g) -> k, g |> Array.map _.Weight |> Array.max)
        |> Map.ofArray

    kept |> Array.forall (fun k -> good.[k].Weight = best.[keyOf good.[k]])

/// The kept rows as a sorted multiset of (user, item, time, event, weight): what the snapshot is built from.
let private keptRows (partitions: RawRow[] list) =
    let good, kept = validateAndDedupe (Array.concat partitions)

    kept
    |> Array.map (fun k -> let r = good.[k] in r.User, r.Item, r.Time.Value, r.Event, r.Weight)
    |> Array.sort

[<Property(Arbitrary = [| typeof<IngestArbs> |])>]
let ``partitions in any order, or one of them twice, give the same rows``
    (partitions: RawRow[] list)
    (seed: int)
    (twice: NonNegativeInt)
    =
    let rnd = Random(seed)
    let shuffled = partitions |> List.sortBy (fun _ -> rnd.Next())

    let again =
        if partitions.IsEmpty then
            shuffled
        else
            shuffled @ [ partitions.[twice.Get % partitions.Length] ]

    keptRows shuffled = keptRows partitions && keptRows again = keptRows partitions

[<Fact>]
let ``check names the first broken column of a row`` () =
    let ok = Nullable 1_600_000_000L
    Assert.Null(Ingest.check rules "u" "i" ok 1.0f)
    Assert.Equal(Reason.UserIdNull, Ingest.check rules null null (Nullable()) nanf)
    Assert.Equal(Reason.UserIdEmpty, Ingest.check rules " \t" "i" ok 1.0f)
    Assert.Equal(Reason.UserIdTooLong, Ingest.check rules (String('u', 1025)) "i" ok 1.0f)
    Assert.Equal(Reason.ItemIdNull, Ingest.check rules "u" null ok 1.0f)
    Assert.Equal(Reason.ItemIdEmpty, Ingest.check rules "u" "" ok 1.0f)
    Assert.Equal(Reason.ItemIdTooLong, Ingest.check rules "u" (String('i', 1025)) ok 1.0f)
    Assert.Equal(Reason.TimestampNull, Ingest.check rules "u" "i" (Nullable()) 1.0f)
    Assert.Equal(Reason.TimestampOutOfRange, Ingest.check rules "u" "i" (Nullable -1L) 1.0f)
    Assert.Equal(Reason.TimestampOutOfRange, Ingest.check rules "u" "i" (Nullable 4102444801L) 1.0f)
    Assert.Null(Ingest.check rules "u" "i" (Nullable 4102444800L) 1.0f) // the range is inclusive
    Assert.Equal(Reason.WeightNotFinite, Ingest.check rules "u" "i" ok nanf)
    Assert.Equal(Reason.WeightNotFinite, Ingest.check rules "u" "i" ok -infinityf)
    Assert.Null(Ingest.check rules "用户🙂" (String('i', 1024)) ok 0.0f) // unicode, the longest id, a zero weight (kept by default)
    Assert.Equal(Reason.WeightNegative, Ingest.check rules "u" "i" ok -3.0f) // quarantined by default

    Assert.Null(
        Ingest.check
            { rules with
                QuarantineNegativeWeights = false
            }
            "u"
            "i"
            ok
            -3.0f
    )

    Assert.Equal(
        Reason.WeightZero,
        Ingest.check
            { rules with
                QuarantineZeroWeights = true
            }
            "u"
            "i"
            ok
            -0.0f
    )

[<Property>]
let ``a negative or zero weight is a reason exactly when its rule quarantines it, after the other checks``
    (w: NormalFloat)
    (negative: bool)
    (zero: bool)
    (badTime: bool)
    =
    let w = float32 w.Get

    let r =
        { rules with
            QuarantineNegativeWeights = negative
            QuarantineZeroWeights = zero
        }

    let time = if badTime then Nullable -1L else Nullable 1_600_000_000L

    let expected =
        if badTime then Reason.TimestampOutOfRange
        elif not (Single.IsFinite w) then Reason.WeightNotFinite
        elif w < 0.0f && negative then Reason.WeightNegative
        elif w = 0.0f && zero then Reason.WeightZero
        else null

    Ingest.check r "u" "i" time w = expected
    && Ingest.check r "u" "i" time 0.0f =
        (if badTime then Reason.TimestampOutOfRange
         elif zero then Reason.WeightZero
         else null)

[<Property>]
let ``milliseconds convert to floored seconds`` (raw: int64) =
    let ms = { rules with Milliseconds = true }
    let expected = int64 (Math.Floor(decimal raw / 1000M))
    Ingest.toSeconds ms raw = expected && Ingest.toSeconds rules raw = raw

[<Fact>]
let ``the window holds the last N dates up to the run date, and everything when N is 0`` () =
    let day = DateOnly(2026, 11, 28)
    Assert.True(Ingest.inWindow 2 day "2026-11-28")
    Assert.True(Ingest.inWindow 2 day "2026-11-27")
    Assert.False(Ingest.inWindow 2 day "2026-11-26")
    Assert.False(Ingest.inWindow 2 day "2026-11-29") // a later partition is not used for an earlier run date
    Assert.True(Ingest.inWindow 2 day null) // files outside dt= folders
    Assert.True(Ingest.inWindow 0 day "1999-01-01")

    Assert.Throws<ArgumentException>(fun () -> Ingest.inWindow 2 day "yesterday" |> ignore)
    |> ignore

[<Fact>]
let ``the ceiling is exceeded only by more than the fraction`` () =
    Assert.False(Ingest.exceedsCeiling 0.05 100L 5L)
    Assert.True(Ingest.exceedsCeiling 0.05 100L 6L)
    Assert.False(Ingest.exceedsCeiling 0.0 100L 0L)
    Assert.True(Ingest.exceedsCeiling 0.0 100L 1L)
    Assert.False(Ingest.exceedsCeiling 0.05 0L 0L)

[<Property>]
let ``id maps do not depend on arrival order, even for ids equal as numbers`` (picks: int list) (seed: int) =
    // "7", "07", "+7" and "007" are distinct ids that parse to the same number
    let pool = [| "7"; "07"; "+7"; "007"; "8"; "-1"; "0"; "00" |]
    let ids = picks |> List.map (fun p -> pool.[abs (p % pool.Length)])
    let rnd = Random(seed)
    let shuffled = ids |> List.sortBy (fun _ -> rnd.Next())
    (IdMap.ofIds shuffled).Ids = (IdMap.ofIds ids).Ids
