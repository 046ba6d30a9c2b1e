namespace BatchRec.Core.Nn

open TorchSharp

[<RequireQualifiedAccess>]
module LightGcn =
    let init (device: torch.Device) (numUsers: int) (numItems: int) (dim: int) : Modules.Parameter * Modules.Parameter =
        let make n =
            use t = torch.empty ([| int64 n; int64 dim |], dtype = torch.float32)
            torch.nn.init.xavier_uniform_ (t) |> ignore
            new Modules.Parameter(t.``to`` (device), true)

        make numUsers, make numItems

    let embed (adj: Propagator) (layers: int) (users: torch.Tensor) (items: torch.Tensor) : torch.Tensor =
        let e0 = torch.cat ([| users; items |], 0L) // [N, d]

        if layers = 0 then
            e0
        else
            let mutable cur = e0
            let acc = e0.clone ()

            for _ in 1..layers do
                cur <- adj.Apply cur // [N, d]
                addInPlace acc cur |> ignore

            divInPlace acc (float (layers + 1))
