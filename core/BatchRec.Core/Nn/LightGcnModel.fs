namespace BatchRec.Core.Nn

open System
open TorchSharp
open BatchRec.Core
open BatchRec.Core.Graph

[<Sealed>]
type LightGcnModel(device: torch.Device, adj: Propagator option, numUsers: int, numItems: int, dim: int, layers: int) =
    let users, items = LightGcn.init device numUsers numItems dim

    interface IRecModel with
        member _.Parameters = [| users; items |]

        member _.Forward(_training) =
            let u, i =
                match adj with
                | Some a when layers > 0 ->
                    let all = LightGcn.embed a layers users items
                    all.narrow (0L, 0L, int64 numUsers), all.narrow (0L, int64 numUsers, int64 numItems)
                | _ -> users.alias (), items.alias ()

            {
                Users = u
                Items = i
                Layer0Users = users
                Layer0Items = items
            }

        member _.IdUsers = users
        member _.IdItems = items

    interface IDisposable with
        member _.Dispose() =
            users.Dispose()
            items.Dispose()
