/// Sparse propagation (SpMM.Propagator) against the dense reference, values and gradients.
module BatchRec.Core.Tests.SpMMFacts

open System
open Xunit
open TorchSharp
open BatchRec.Core
open BatchRec.Core.Graph
open BatchRec.Core.Nn
open BatchRec.Core.Tests.Generators

[<Theory; MemberData(nameof Devices.All, MemberType = typeof<Devices>)>]
let ``sparse propagation agrees with the dense reference`` (dev: string) =
    let device =
        Tensors.chooseDevice (Option.get (Choice.tryParse DeviceChoice.Names dev))

    use scope = torch.NewDisposeScope()
    torch.manual_seed 7L |> ignore
    let users, items = [| 0; 0; 1; 2; 2; 2 |], [| 0; 1; 1; 0; 2; 3 |]
    let a = Bipartite.adjacency 4 4 users items |> Normalize.symmetric // user 3 has no edges
    use adj = Propagator.Create(device, a)
    let eu = torch.randn ([| 4L; 5L |], device = device)
    let ei = torch.randn ([| 4L; 5L |], device = device)
    let sparseOut = LightGcn.embed adj 3 eu ei // [8, 5]
    // dense: (E0 + ÂE0 + Â²E0 + Â³E0) / 4
    let dense = (Tensors.sparse device a).to_dense()
    let e0 = torch.cat ([| eu; ei |], 0L)
    let e1 = dense.mm e0
    let e2 = dense.mm e1
    let e3 = dense.mm e2
    let reference = (e0 + e1 + e2 + e3) / 4.0
    Assert.True(sparseOut.allclose (reference, rtol = 1e-5, atol = 1e-6))
    // the isolated user keeps a quarter of its own layer-0 embedding
    Assert.True(sparseOut.[3L].allclose(eu.[3L] / 4.0, rtol = 1e-6, atol = 1e-7))

[<Theory; MemberData(nameof Devices.All, MemberType = typeof<Devices>)>]
let ``propagation gradients agree with the dense reference`` (dev: string) =
    let device =
        Tensors.chooseDevice (Option.get (Choice.tryParse DeviceChoice.Names dev))

    use scope = torch.NewDisposeScope()
    torch.manual_seed 11L |> ignore

    let a =
        Bipartite.adjacency 5 3 [| 0; 1; 1; 2; 4 |] [| 0; 0; 2; 1; 2 |]
        |> Normalize.symmetric

    use adj = Propagator.Create(device, a)
    let dense = (Tensors.sparse device a).to_dense()
    let x1 = torch.randn([| 8L; 4L |], device = device).requires_grad_(true)
    let x2 = x1.detach().clone().requires_grad_(true)
    let w = torch.randn ([| 8L; 4L |], device = device)
    (adj.Apply(adj.Apply x1) * w).sum().backward()
    ((dense.mm (dense.mm x2)) * w).sum().backward()
    Assert.True(x1.grad.allclose (x2.grad, rtol = 1e-5, atol = 1e-6))

[<Fact>]
let ``the propagator rejects a non-symmetric adjacency`` () =
    let a = Csr.ofEdges 2 2 [| 0 |] [| 1 |] [| 1f |]

    let ex =
        Assert.Throws<ArgumentException>(fun () -> (Propagator.Create(torch.CPU, a) :> IDisposable).Dispose())

    Assert.Equal("a", ex.ParamName)
