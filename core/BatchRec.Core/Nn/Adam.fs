namespace BatchRec.Core.Nn

open System
open TorchSharp

[<Sealed>]
type RootedAdam(parameters: Modules.Parameter seq, lr: float, ?beta1: float, ?beta2: float, ?eps: float) =
    let beta1 = defaultArg beta1 0.9
    let beta2 = defaultArg beta2 0.999
    let eps = defaultArg eps 1e-8

    do
        if not (lr >= 0.0) then
            invalidArg "lr" (sprintf "must be >= 0, got %g" lr)

        if not (beta1 >= 0.0 && beta1 < 1.0) then
            invalidArg "beta1" (sprintf "must be in [0, 1), got %g" beta1)

        if not (beta2 >= 0.0 && beta2 < 1.0) then
            invalidArg "beta2" (sprintf "must be in [0, 1), got %g" beta2)

        if not (eps >= 0.0) then
            invalidArg "eps" (sprintf "must be >= 0, got %g" eps)

    let ps = Array.ofSeq parameters
    // first and second moments, one pair per parameter, owned here (detached from any dispose scope) until Dispose
    let moments =
        ps
        |> Array.map (fun p ->
            torch.zeros_like(p).DetachFromDisposeScope(), torch.zeros_like(p).DetachFromDisposeScope())
    // steps taken per parameter (a parameter without a gradient is skipped and does not count the step)
    let steps = Array.zeroCreate<int64> ps.Length

    member _.Steps(i: int) = steps.[i]

    member _.ZeroGrad() =
        for p in ps do
            use g = p.grad

            if not (isNull g) then
                g.zero_().Dispose()

    member _.Step() =
        use _ = torch.no_grad ()
        use _ = torch.NewDisposeScope()
        use sBeta1 = beta1.ToScalar()
        use sOneMinusBeta1 = (1.0 - beta1).ToScalar()
        use sBeta2 = beta2.ToScalar()
        use sOneMinusBeta2 = (1.0 - beta2).ToScalar()
        use sEps = eps.ToScalar()

        for i in 0 .. ps.Length - 1 do
            let p = ps.[i]
            let g: torch.Tensor = p.grad

            if not (isNull g) then
                steps.[i] <- steps.[i] + 1L
                let bc1 = 1.0 - Math.Pow(beta1, float steps.[i])
                let bc2 = 1.0 - Math.Pow(beta2, float steps.[i])
                use sSqrtBc2 = (Math.Sqrt bc2).ToScalar()
                use sStep = (-(lr / bc1)).ToScalar()
                let m, v = moments.[i]
                m.mul_(sBeta1).add_(g, sOneMinusBeta1) |> ignore
                v.mul_(sBeta2).addcmul_(g, g.conj (), sOneMinusBeta2) |> ignore
                let denom = v.sqrt().div(sSqrtBc2).add_(sEps, Ops.one)
                p.addcdiv_ (m, denom, sStep) |> ignore

    interface IDisposable with
        member _.Dispose() =
            for m, v in moments do
                m.Dispose()
                v.Dispose()
