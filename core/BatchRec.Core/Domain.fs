namespace BatchRec.Core

open System
open System.Collections.Generic

/// Dense, zero-based indices for external ids (user or item ids as they appear in the input).
/// Index order is canonical: ids that all parse as int64 are ordered numerically, otherwise ordinally,
/// so the same set of ids always gets the same indices whatever order the input files were read in.
[<Sealed>]
type IdMap private (ids: string[], index: Dictionary<string, int>) =
    /// Number of distinct ids. O(1).
    member _.Count = ids.Length
    /// The external id of index `i`. O(1). Throws IndexOutOfRangeException outside 0..Count-1.
    member _.Id(i: int) = ids.[i]
    /// All ids, position = index. The array is a copy.
    member _.Ids = Array.copy ids

    /// The index of an external id, or None. O(1) expected.
    member _.TryIndex(id: string) =
        match index.TryGetValue id with
        | true, i -> Some i
        | _ -> None

    /// The index of an external id, or -1 (for C# callers).
    member _.IndexOrMinusOne(id: string) =
        match index.TryGetValue id with
        | true, i -> i
        | _ -> -1

    /// Builds the map from ids already in canonical order and distinct. Internal: use IdMap.ofIds.
    static member internal OfCanonical(ids: string[]) =
        let d = Dictionary<string, int>(ids.Length, StringComparer.Ordinal)
        ids |> Array.iteri (fun i id -> d.Add(id, i))
        IdMap(ids, d)

/// Interns ids as they stream in (one row group at a time), then freezes into a canonical IdMap.
/// Mutable by design: it is the accumulator the ingest shell feeds; it never escapes a stage.
[<Sealed>]
type IdMapBuilder() =
    let seen = Dictionary<string, int>(StringComparer.Ordinal)
    let order = List<string>()

    /// Provisional index of `id` (first-seen order), interning it if new. O(1) expected.
    member _.Intern(id: string) =
        if isNull id then
            invalidArg "id" "id must not be null"

        match seen.TryGetValue id with
        | true, i -> i
        | _ ->
            let i = order.Count
            seen.Add(id, i)
            order.Add id
            i

    member _.Count = order.Count

    /// Canonical map plus `remap`, where remap.[provisional] = canonical index. O(n log n).
    member _.Freeze() : IdMap * int[] =
        let ids = order.ToArray()

        let allInt =
            ids
            |> Array.forall (fun s ->
                fst (
                    Int64.TryParse(
                        s,
                        Globalization.NumberStyles.AllowLeadingSign,
                        Globalization.CultureInfo.InvariantCulture
                    )
                ))

        let sorted =
            if allInt then
                // ids equal as numbers ("7", "07", "+7") are ordered ordinally, so the order never depends on arrival
                let keys =
                    ids
                    |> Array.map (fun s ->
                        Int64.Parse(
                            s,
                            Globalization.NumberStyles.AllowLeadingSign,
                            Globalization.CultureInfo.InvariantCulture
                        ))

                let order = Array.init ids.Length id

                Array.Sort(
                    order,
                    Comparison(fun a b ->
                        match compare keys.[a] keys.[b] with
                        | 0 -> String.CompareOrdinal(ids.[a], ids.[b])
                        | c -> c)
                )

                order |> Array.map (fun k -> ids.[k])
            else
                Array.sortWith (fun (a: string) b -> String.CompareOrdinal(a, b)) ids

        let map = IdMap.OfCanonical sorted
        let remap = ids |> Array.map (fun id -> map.IndexOrMinusOne id)
        map, remap

[<RequireQualifiedAccess>]
module IdMap =
    /// Distinct ids of `ids` in canonical order. O(n log n).
    /// evaluates to: (IdMap.ofIds ["10"; "9"; "10"]).Ids = [| "9"; "10" |]
    let ofIds (ids: seq<string>) =
        let b = IdMapBuilder()

        for id in ids do
            b.Intern id |> ignore

        fst (b.Freeze())

/// Which evaluation split an interaction belongs to.
type Split =
    | Train = 0uy
    | Valid = 1uy
    | Test = 2uy
    /// eval.mode cold-items: an interaction of a held-out item (never trained on; ranked among held-out items).
    | Cold = 3uy

/// The interaction log in columnar form over dense indices: one array per column, all the same length.
type Interactions =
    {
        Users: int[]
        Items: int[]
        Timestamps: int64[]
        Weights: float32[]
    }

    member this.Count = this.Users.Length

/// What training, evaluation and scoring read: the id maps, the interactions and each one's split.
type Snapshot =
    {
        UserIds: IdMap
        ItemIds: IdMap
        Interactions: Interactions
        Splits: Split[]
    }

    member this.NumUsers = this.UserIds.Count
    member this.NumItems = this.ItemIds.Count
