/// RootedAdam against torch.optim.Adam.
module BatchRec.Core.Tests.AdamFacts

open System
open Xunit
open TorchSharp
open BatchRec.Core.Nn

[<Fact>]
let ``RootedAdam takes torch.optim.Adam's steps bit for bit, skipping a parameter without a gradient as it does`` () =
    use scope = torch.NewDisposeScope()
    torch.manual_seed 7L |> ignore

    let a =
        [|
            new Modules.Parameter(torch.randn (5L, 3L), true)
            new Modules.Parameter(torch.randn (4L), true)
        |]

    let b = a |> Array.map (fun p -> new Modules.Parameter(p.detach().clone(), true))
    use reference = torch.optim.Adam(a, lr = 0.01)
    use ours = new RootedAdam(b, 0.01)

    for step in 1..30 do
        let target = torch.randn (5L, 3L)
        // the second parameter takes part from step 6 on: before that it has no gradient and takes no step
        let loss (ps: Modules.Parameter[]) =
            let l = (ps.[0] - target).square().sum()

            if step > 5 then
                l + ps.[1].sin().sum() * ps.[0].mean()
            else
                l

        reference.zero_grad ()
        (loss a).backward()
        reference.step () |> ignore
        ours.ZeroGrad()
        (loss b).backward()
        ours.Step()

    Assert.Equal(30L, ours.Steps 0)
    Assert.Equal(25L, ours.Steps 1)

    for x, y in Array.zip a b do
        Assert.True(
            x.eq(y).all().item<bool>(),
            sprintf "parameters differ: max |Δ| = %g" ((x - y).abs().max().item<float32>())
        )

    Assert.False(a.[0].eq(torch.zeros_like (a.[0])).all().item<bool>())
