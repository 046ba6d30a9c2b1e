namespace BatchRec.Core

open System
open System.Collections.Generic

[<Sealed>]
type IdMap private (ids: string[], index: Dictionary<string, int>) =
    member _.Count = ids.Length
    member _.Id(i: int) = ids.[i]
    member _.Ids = Array.copy ids

    member _.TryIndex(id: string) =
        match index.TryGetValue id with
        | true, i -> Some i
        | _ -> None

    member _.IndexOrMinusOne(id: string) =
        match index.TryGetValue id with
        | true, i -> i
        | _ -> -1

    static member internal OfCanonical(ids: string[]) =
        let d = Dictionary<string, int>(ids.Length, StringComparer.Ordinal)
        ids |> Array.iteri (fun i id -> d.Add(id, i))
        IdMap(ids, d)

[<Sealed>]
type IdMapBuilder() =
    let seen = Dictionary<string, int>(StringComparer.Ordinal)
    let order = List<string>()

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
    let ofIds (ids: seq<string>) =
        let b = IdMapBuilder()

        for id in ids do
            b.Intern id |> ignore

        fst (b.Freeze())

type Split =
    | Train = 0uy
    | Valid = 1uy
    | Test = 2uy
    | Cold = 3uy

type Interactions =
    {
        Users: int[]
        Items: int[]
        Timestamps: int64[]
        Weights: float32[]
    }

    member this.Count = this.Users.Length

type Snapshot =
    {
        UserIds: IdMap
        ItemIds: IdMap
        Interactions: Interactions
        Splits: Split[]
    }

    member this.NumUsers = this.UserIds.Count
    member this.NumItems = this.ItemIds.Count
