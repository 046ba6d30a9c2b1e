/// Copying tensors out (Tensors.toArray).
module BatchRec.Core.Tests.TensorsFacts

open Xunit
open TorchSharp
open BatchRec.Core.Nn

[<Fact>]
let ``toArray copies views, transposes and empty tensors in row-major order`` () =
    use scope = torch.NewDisposeScope()
    let t = torch.arange(12L, dtype = torch.float32).reshape(3L, 4L)
    Assert.Equal<float32[]>([| 4f; 5f; 6f; 7f; 8f; 9f; 10f; 11f |], Tensors.toArray (t.narrow (0L, 1L, 2L)))
    Assert.Equal<float32[]>([| 1f; 5f; 9f; 2f; 6f; 10f |], Tensors.toArray (t.t().narrow(0L, 1L, 2L)))
    Assert.Equal<float32[]>([||], Tensors.toArray (t.narrow (0L, 0L, 0L)))
