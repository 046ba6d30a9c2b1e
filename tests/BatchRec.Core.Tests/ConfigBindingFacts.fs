module BatchRec.Core.Tests.ConfigBindingFacts

open System
open System.Collections.Generic
open System.Globalization
open Microsoft.Extensions.Configuration
open Microsoft.FSharp.Reflection
open Xunit
open FsCheck
open FsCheck.FSharp
open FsCheck.Xunit
open BatchRec.Core

/// A value as configuration entries, written independently of the binder: records as sections (fields in camelCase),
/// lists as arrays "0", "1", …, closed sets by their name, numbers in the invariant culture.
let rec private entries (path: string) (value: obj) : (string * string) list =
    let t = value.GetType()

    let under (key: string) =
        if path = "" then key else path + ":" + key

    if FSharpType.IsRecord t then
        [
            for f in FSharpType.GetRecordFields t do
                if f.Name <> "Compare" then
                    yield!
                        entries
                            (under (string (Char.ToLowerInvariant f.Name.[0]) + f.Name.Substring 1))
                            (f.GetValue value)
        ]
    elif t.IsGenericType && t.GetGenericTypeDefinition() = typedefof<list<_>> then
        let items = [ for x in (value :?> Collections.IEnumerable) -> x ]

        if items.IsEmpty then
            [ path, "" ] // the JSON provider's empty array
        else
            items |> List.mapi (fun i x -> entries (under (string i)) x) |> List.concat
    else
        match value with
        | :? float as f -> [ path, f.ToString("R", CultureInfo.InvariantCulture) ]
        | :? bool as b -> [ path, (if b then "true" else "false") ]
        | :? IFormattable as n -> [ path, n.ToString(null, CultureInfo.InvariantCulture) ]
        | :? string as s -> [ path, s ]
        | v -> [ path, string (t.GetProperty("Name").GetValue v) ] // a closed set: its config name

let private configuration (pairs: (string * string) list) : IConfiguration =
    ConfigurationBuilder()
        .AddInMemoryCollection(pairs |> List.map (fun (k, v) -> KeyValuePair<string, string>(k, v)))
        .Build()

let private bindPairs (current: Config) pairs =
    ConfigBinding.bindOver current [] (configuration pairs)

[<Fact>]
let ``every field of the default config is written and read back unchanged`` () =
    let pairs = entries "" (box Config.Default)
    Assert.True(pairs.Length > 80, sprintf "only %d entries" pairs.Length)

    let bound, errors =
        bindPairs
            { Config.Default with
                Train = { Config.Default.Train with Seed = -1 }
            }
            pairs

    Assert.Empty errors
    Assert.Equal(Config.Default, bound)

type TrainValues =
    {
        Seed: int
        MaxEpochs: int
        LearningRate: NormalFloat
        Fanout: int list
        Device: DeviceChoice
        Loss: LossKind
        Lambdas: NormalFloat list
        Candidates: string list
    }

[<Property(MaxTest = 200)>]
let ``any values of the types a section holds read back as written`` (v: TrainValues) =
    let candidates = v.Candidates |> List.map (fun s -> if isNull s then "" else s)

    let expected =
        { Config.Default with
            Train =
                { Config.Default.Train with
                    Seed = v.Seed
                    MaxEpochs = v.MaxEpochs
                    LearningRate = v.LearningRate.Get
                    Fanout = v.Fanout
                    Device = v.Device
                    Loss = v.Loss
                }
            Ease =
                { Config.Default.Ease with
                    Lambdas = v.Lambdas |> List.map _.Get
                }
            Auto =
                { Config.Default.Auto with
                    Candidates = candidates
                }
        }

    let pairs =
        entries "train" (box expected.Train)
        @ entries "ease" (box expected.Ease)
        @ entries "auto" (box expected.Auto)

    let bound, errors = bindPairs Config.Default pairs
    errors.IsEmpty && bound = expected

[<Fact>]
let ``keys ignore case, numbers may be written as text, a key left out keeps the current value`` () =
    let bound, errors =
        bindPairs Config.Default [ "TRAIN:MaxEpochs", "7"; "train:learningRate", "1e-3"; "Model:Kind", "ease" ]

    Assert.Empty errors
    Assert.Equal(7, bound.Train.MaxEpochs)
    Assert.Equal(0.001, bound.Train.LearningRate)
    Assert.Equal(ModelKind.Ease, bound.Model.Kind)
    Assert.Equal(Config.Default.Train.BatchSize, bound.Train.BatchSize)

[<Fact>]
let ``every problem is reported at once, with the key as the record spells it and the value quoted`` () =
    let bound, errors =
        bindPairs
            Config.Default
            [
                "train:seed", "seven"
                "train:fanout:0", "3"
                "train:fanout:1", "x"
                "train:device", "gpu"
                "train:learningRate", "NaN"
                "model:dimm", "3"
                "model:attributes", "yes"
                "split", "0.1"
                "score:k:deep", "1"
                "eval:ks", null
                "trian:seed", "1"
            ]

    let text = errors |> List.map string

    Assert.Equal<string list>(
        [
            "eval.ks: must be an array of integers, got null"
            "model.attributes: must be true or false, got \"yes\""
            "model.dimm: unknown key (did you mean 'dim'? known: kind, dim, layers, heads, dropout, attributes, edgeWeight, finalMlp, layerMlp, attention, idDropout, fusion, textNeighbours, score)"
            "score.k: must be an integer, got an object"
            "split: must be an object, got 0.1"
            "train.device: must be auto, cpu or cuda, got 'gpu' (did you mean 'cpu'?)"
            "train.fanout: must be an array of integers, got [3, \"x\"]"
            "train.learningRate: must be a number, got NaN"
            "train.seed: must be an integer, got \"seven\""
            "trian: unknown key (did you mean 'train'? known: dataset, model, train, ease, blend, auto, search, split, eval, score, text, ingest, publish, compare)"
        ],
        text |> List.sort
    )
    // what did not read keeps the current value
    Assert.Equal(Config.Default, bound)

[<Fact>]
let ``a field of a type the binder has no reader for is a programming error`` () =
    Assert.Throws<InvalidOperationException>(fun () ->
        ConfigBinding.bindOver {| Start = DateTime.MinValue |} [] (configuration [ "start", "2026-01-01" ])
        |> ignore)
    |> ignore

[<Fact>]
let ``closed sets are read through their Names table`` () =
    Assert.Equal<string list>(
        [ "auto"; "cpu"; "cuda" ],
        (ConfigBinding.choiceTable typeof<DeviceChoice>).Value |> List.map snd
    )

    Assert.Equal(None, ConfigBinding.choiceTable typeof<ConfigError>)
    Assert.Equal<string list>([ "valid"; "test" ], ConfigBinding.keysOf typeof<SplitConfig>)

[<Fact>]
let ``a config file's names ignore case, compare's too, and a key named twice is refused`` () =
    match Config.parse """{ "TRAIN": { "Seed": 5 }, "Compare": { "ease": { "ease": { "lambdas": [ 100 ] } } } }""" with
    | Ok c ->
        Assert.Equal(5, c.Train.Seed)
        Assert.True(c.Compare.ContainsKey "ease")
    | Error e -> failwithf "%A" e

    match Config.parse """{ "train": { "seed": 5, "Seed": 6 } }""" with
    | Error [ e ] ->
        Assert.Equal("(file)", e.Key)
        Assert.Contains("duplicate key", e.Message)
    | other -> failwithf "unexpected %A" other
