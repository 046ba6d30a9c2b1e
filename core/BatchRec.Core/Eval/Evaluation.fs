namespace BatchRec.Core.Eval

#nowarn "9" // native pointers: the top-K selection reads the score tiles in place

open System
open BatchRec.Core
open System.Numerics
open System.Runtime.CompilerServices
open System.Runtime.Intrinsics
open System.Runtime.InteropServices
open Microsoft.FSharp.NativeInterop
open TorchSharp
open BatchRec.Core.Graph
open BatchRec.Core.Nn

type MetricValue =
    { Metric: string; K: int; Value: float }

[<RequireQualifiedAccess>]
module Evaluation =
    let sampleUsers (truth: Csr) (maxUsers: int) : int[] =
        let users =
            [|
                for u in 0 .. truth.Rows - 1 do
                    if truth.RowPtr.[u + 1] > truth.RowPtr.[u] then
                        yield u
            |]

        if maxUsers <= 0 || users.Length <= maxUsers then
            users
        else
            let rng = Random(2020)

            for i in 0 .. maxUsers - 1 do // partial Fisher–Yates: the first maxUsers are a uniform sample
                let j = i + rng.Next(users.Length - i)
                let t = users.[i]
                users.[i] <- users.[j]
                users.[j] <- t

            let picked = Array.sub users 0 maxUsers
            Array.sortInPlace picked
            picked

    /// Ranks `users` in chunks of `chunk` (each ranks all items except `exclude`, top k) and calls `f position nRel hits`
    /// for each user with at least one truth item: its position in `users`, its number of truth items and the hit
    /// flags of its top-k list.
    let private forEachRanked
        (ii: ItemItem option)
        (userEmb: Tensor)
        (itemEmb: Tensor)
        (exclude: Csr)
        (truth: Csr)
        (k: int)
        (chunk: int)
        (users: int[])
        (f: int -> int -> bool[] -> unit)
        =
        if chunk <= 0 then
            invalidArg "chunk" (sprintf "must be > 0, got %d" chunk)

        for start in 0..chunk .. users.Length - 1 do
            let block =
                TopK.topKUsersWith
                    ii
                    userEmb
                    itemEmb
                    exclude
                    k
                    (Array.sub users start (min chunk (users.Length - start)))

            for b in 0 .. block.Users.Length - 1 do
                let u = block.Users.[b]
                let nRel = truth.RowPtr.[u + 1] - truth.RowPtr.[u]

                if nRel > 0 then
                    f
                        (start + b)
                        nRel
                        [|
                            for p in block.Offsets.[b] .. block.Offsets.[b + 1] - 1 ->
                                Csr.contains truth u block.Items.[p]
                        |]

    let evaluateUsersWith
        (ii: ItemItem option)
        (userEmb: Tensor)
        (itemEmb: Tensor)
        (exclude: Csr)
        (truth: Csr)
        (ks: int list)
        (chunk: int)
        (users: int[])
        : MetricValue list =
        let sums = Collections.Generic.Dictionary<RankingMetric * int, float>()
        let evaluated = ref 0

        forEachRanked ii userEmb itemEmb exclude truth (List.max ks) chunk users (fun _ nRel hits ->
            evaluated.Value <- evaluated.Value + 1

            for m in Metrics.all do
                for k in ks do
                    let v = Metrics.compute m k hits nRel

                    sums.[(m, k)] <-
                        (match sums.TryGetValue((m, k)) with
                         | true, s -> s
                         | _ -> 0.0)
                        + v)

        [
            for m in Metrics.all do
                for k in ks do
                    let s =
                        match sums.TryGetValue((m, k)) with
                        | true, s -> s
                        | _ -> 0.0

                    yield
                        {
                            Metric = m.Name
                            K = k
                            Value =
                                if evaluated.Value = 0 then
                                    0.0
                                else
                                    s / float evaluated.Value
                        }
        ]

    let perUserWith
        (ii: ItemItem option)
        (userEmb: Tensor)
        (itemEmb: Tensor)
        (exclude: Csr)
        (truth: Csr)
        (metric: RankingMetric)
        (k: int)
        (chunk: int)
        (users: int[])
        : float[] =
        let values = Array.zeroCreate users.Length

        forEachRanked ii userEmb itemEmb exclude truth k chunk users (fun at nRel hits ->
            values.[at] <- Metrics.compute metric k hits nRel)

        values

    let evaluateUsers
        (userEmb: Tensor)
        (itemEmb: Tensor)
        (exclude: Csr)
        (truth: Csr)
        (ks: int list)
        (chunk: int)
        (users: int[])
        : MetricValue list =
        evaluateUsersWith None userEmb itemEmb exclude truth ks chunk users

    let evaluateSampleWith
        (ii: ItemItem option)
        (userEmb: Tensor)
        (itemEmb: Tensor)
        (exclude: Csr)
        (truth: Csr)
        (ks: int list)
        (chunk: int)
        (maxUsers: int)
        : MetricValue list =
        evaluateUsersWith ii userEmb itemEmb exclude truth ks chunk (sampleUsers truth maxUsers)

    let evaluateSample
        (userEmb: Tensor)
        (itemEmb: Tensor)
        (exclude: Csr)
        (truth: Csr)
        (ks: int list)
        (chunk: int)
        (maxUsers: int)
        : MetricValue list =
        evaluateSampleWith None userEmb itemEmb exclude truth ks chunk maxUsers

    let evaluate
        (userEmb: Tensor)
        (itemEmb: Tensor)
        (exclude: Csr)
        (truth: Csr)
        (ks: int list)
        (chunk: int)
        : MetricValue list =
        evaluateSample userEmb itemEmb exclude truth ks chunk 0
