namespace BatchRec.Core.Eval

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

/// One averaged metric value.
type MetricValue =
    { Metric: string; K: int; Value: float }

/// Full-ranking evaluation: the metrics averaged over users.
[<RequireQualifiedAccess>]
module Evaluation =

    /// The users evaluated against `truth`: every user with at least one truth item, or, when maxUsers > 0 and
    /// there are more, a uniform sample of maxUsers of them drawn with a fixed seed (so every model and training
    /// seed is evaluated on the same users). Ascending.
    val sampleUsers: truth: Csr -> maxUsers: int -> int array

    /// Full-ranking evaluation of the given users: each ranks all items except `exclude`; every metric in
    /// Metrics.all at every k in ks is averaged over the users with at least one truth item; in chunks of
    /// `chunk` users, so memory is O(chunk × items).
    val evaluateUsersWith:
        ii: ItemItem option ->
        userEmb: Tensor ->
        itemEmb: Tensor ->
        exclude: Csr ->
        truth: Csr ->
        ks: int list ->
        chunk: int ->
        users: int array ->
            MetricValue list

    /// One metric at k for each of `users` (in that order), ranked as evaluateUsersWith ranks them; a user without
    /// truth items scores 0. The per-user values model.kind auto's paired comparison reads.
    val perUserWith:
        ii: ItemItem option ->
        userEmb: Tensor ->
        itemEmb: Tensor ->
        exclude: Csr ->
        truth: Csr ->
        metric: RankingMetric ->
        k: int ->
        chunk: int ->
        users: int array ->
            float array

    /// evaluateUsersWith without an item–item part.
    val evaluateUsers:
        userEmb: Tensor ->
        itemEmb: Tensor ->
        exclude: Csr ->
        truth: Csr ->
        ks: int list ->
        chunk: int ->
        users: int array ->
            MetricValue list

    /// evaluateUsersWith over `sampleUsers truth maxUsers`.
    val evaluateSampleWith:
        ii: ItemItem option ->
        userEmb: Tensor ->
        itemEmb: Tensor ->
        exclude: Csr ->
        truth: Csr ->
        ks: int list ->
        chunk: int ->
        maxUsers: int ->
            MetricValue list

    /// evaluateUsers over `sampleUsers truth maxUsers`.
    val evaluateSample:
        userEmb: Tensor ->
        itemEmb: Tensor ->
        exclude: Csr ->
        truth: Csr ->
        ks: int list ->
        chunk: int ->
        maxUsers: int ->
            MetricValue list

    /// Full-ranking evaluation: each user with at least one `truth` item ranks all items except `exclude`;
    /// every metric in Metrics.all at every k in ks is averaged over those users.
    val evaluate:
        userEmb: Tensor ->
        itemEmb: Tensor ->
        exclude: Csr ->
        truth: Csr ->
        ks: int list ->
        chunk: int ->
            MetricValue list
