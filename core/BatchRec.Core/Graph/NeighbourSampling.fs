namespace BatchRec.Core.Graph

open System
open System.Collections.Generic

type Block = { Matrix: Csr; Positions: int[] }

type SampledBlocks =
    {
        Nodes: int[]
        Blocks: Block[]
        SeedCount: int
    }

[<RequireQualifiedAccess>]
module NeighbourSampling =
    /// Writes k distinct offsets of 0..n-1, drawn uniformly (Floyd's algorithm), ascending, into buf.[0..k-1].
    /// O(k²) with k ≤ the fan-out (a linear scan beats hashing for such k; nothing is allocated).
    let private choose (rng: Random) (n: int) (k: int) (buf: int[]) =
        if k >= n then
            for o in 0 .. n - 1 do
                buf.[o] <- o
        else
            let mutable c = 0

            for j in n - k .. n - 1 do
                let t = rng.Next(j + 1)
                let mutable seen = false

                for q in 0 .. c - 1 do
                    if buf.[q] = t then
                        seen <- true

                buf.[c] <- (if seen then j else t)
                c <- c + 1

            Array.Sort(buf, 0, k)

    let sample (adj: Csr) (seeds: int[]) (fanouts: int[]) (rng: Random) : SampledBlocks =
        if adj.Rows <> adj.Cols then
            invalidArg "adj" (sprintf "must be square, got %d × %d" adj.Rows adj.Cols)

        if fanouts |> Array.exists (fun f -> f < 1) then
            invalidArg "fanouts" (sprintf "entries must be >= 1, got %A" fanouts)

        let nodes = ResizeArray<int>(seeds.Length)
        let local = Dictionary<int, int>(seeds.Length)

        for s in seeds do
            if s < 0 || s >= adj.Rows then
                invalidArg "seeds" (sprintf "node %d outside 0..%d" s (adj.Rows - 1))

            if local.ContainsKey s then
                invalidArg "seeds" (sprintf "node %d appears twice" s)

            local.[s] <- nodes.Count
            nodes.Add s

        let layers = fanouts.Length
        let blocks = Array.zeroCreate layers

        for l in layers .. -1 .. 1 do
            let f = fanouts.[l - 1]

            let offsets, keys, picked =
                Array.zeroCreate f, Array.zeroCreate f, Array.zeroCreate f // per-row scratch, O(f)

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
                choose rng deg k offsets
                // (local column, position) of the sampled entries, sorted by local column (the CSR invariant)
                for q in 0 .. k - 1 do
                    let p = p0 + offsets.[q]
                    let j = adj.ColIdx.[p]

                    let lj =
                        match local.TryGetValue j with
                        | true, v -> v
                        | _ ->
                            let v = nodes.Count
                            local.[j] <- v
                            nodes.Add j
                            v

                    keys.[q] <- lj
                    picked.[q] <- p

                Array.Sort(keys, picked, 0, k)

                for q in 0 .. k - 1 do
                    let p = picked.[q]
                    cols.Add keys.[q]
                    pos.Add p

                    vals.Add(
                        if k = deg then
                            adj.Values.[p]
                        else
                            float32 (float adj.Values.[p] * float deg / float k)
                    )

                rowPtr.[i + 1] <- cols.Count

            blocks.[l - 1] <-
                {
                    Matrix =
                        {
                            Rows = targets
                            Cols = nodes.Count
                            RowPtr = rowPtr
                            ColIdx = cols.ToArray()
                            Values = vals.ToArray()
                        }
                    Positions = pos.ToArray()
                }

        {
            Nodes = nodes.ToArray()
            Blocks = blocks
            SeedCount = seeds.Length
        }
