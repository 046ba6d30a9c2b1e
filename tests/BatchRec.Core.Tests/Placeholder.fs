module Placeholder
open Xunit
[<Fact>]
let ``torch loads`` () = Assert.True(TorchSharp.torch.ones(2L).sum().item<float32>() = 2.0f)
