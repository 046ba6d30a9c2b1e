namespace BatchRec.Core.Graph

open System
open System.Collections.Generic

type Block = { Matrix: Csr; Positions: int[] }

type SampledBlocks = { Nodes: int[]; Blocks: Block[]; SeedCount: int }

[<RequireQualifiedAccess>]
module NeighbourSampling =
    /// k distinct offsets of 0..n-1, uniformly (Floyd), ascending. O(k log k).
    let private choose (rng: Random) (n: int) (k: int) : int[] =
        if k >= n then Array.init n id
        else
            let picked = HashSet<int>()
            for j in n - k .. n - 1 do
                let t = rng.Next(j + 1)
                picked.Add(if picked.Contains t then j else t) |> ignore
            let a = Seq.toArray picked
            Array.sortInPlace a
            a

    let sample (adj: Csr) (seeds: int[]) (fanouts: int[]) (rng: Random) : SampledBlocks =
        if adj.Rows <> adj.Cols then invalidArg "adj" (sprintf "must be square, got %d × %d" adj.Rows adj.Cols)
        if fanouts |> Array.exists (fun f -> f < 1) then invalidArg "fanouts" (sprintf "entries must be >= 1, got %A" fanouts)
        let nodes = ResizeArray<int>(seeds.Length)
        let local = Dictionary<int, int>(seeds.Length)
        for s in seeds do
            if s < 0 || s >= adj.Rows then invalidArg "seeds" (sprintf "node %d outside 0..%d" s (adj.Rows - 1))
            if local.ContainsKey s then invalidArg "seeds" (sprintf "node %d appears twice" s)
            local.[s] <- nodes.Count
            nodes.Add s
        let layers = fanouts.Length
        let blocks = Array.zeroCreate layers
        for l in layers .. -1 .. 1 do
            let f = fanouts.[l - 1]
            let targets = nodes.Count // S_l = every node reached so far
            let rowPtr = Array.zeroCreate (targets + 1)
            let cols = ResizeArray<int>()
            let vals = ResizeArray<float32>()
            let pos = ResizeArray<int>()
            for i in 0 .. targets - 1 do
                let g = nodes.[i]
                let p0 = adj.RowPtr.[g]
                let deg = adj.RowPtr.[g + 1] - p0
                let k = min deg f
                // (local column, position) of the sampled entries, sorted by local column (the CSR invariant)
                let picked =
                    choose rng deg k
                    |> Array.map (fun o ->
                        let p = p0 + o
                        let j = adj.ColIdx.[p]
                        let lj =
                            match local.TryGetValue j with
                            | true, v -> v
                            | _ ->
                                let v = nodes.Count
                                local.[j] <- v
                                nodes.Add j
                                v
                        lj, p)
                Array.sortInPlaceBy fst picked
                for lj, p in picked do
                    cols.Add lj
                    pos.Add p
                    vals.Add(if k = deg then adj.Values.[p] else float32 (float adj.Values.[p] * float deg / float k))
                rowPtr.[i + 1] <- cols.Count
            blocks.[l - 1] <-
                { Matrix = { Rows = targets; Cols = nodes.Count; RowPtr = rowPtr; ColIdx = cols.ToArray(); Values = vals.ToArray() }
                  Positions = pos.ToArray() }
        { Nodes = nodes.ToArray(); Blocks = blocks; SeedCount = seeds.Length }
