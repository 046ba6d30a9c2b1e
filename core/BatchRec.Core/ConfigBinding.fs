namespace BatchRec.Core

open System
open System.Collections
open System.Globalization
open System.Reflection
open System.Text.Json
open Microsoft.Extensions.Configuration
open Microsoft.FSharp.Reflection

type ConfigError =
    {
        Key: string
        Message: string
    }

    override this.ToString() = sprintf "%s: %s" this.Key this.Message

module ConfigBinding =
    let editDistance (a: string) (b: string) : int =
        let a, b = a.ToLowerInvariant(), b.ToLowerInvariant()
        let mutable prev = Array.init (b.Length + 1) id

        for i in 1 .. a.Length do
            let cur = Array.zeroCreate (b.Length + 1)
            cur.[0] <- i

            for j in 1 .. b.Length do
                let cost = if a.[i - 1] = b.[j - 1] then 0 else 1
                cur.[j] <- min (min (prev.[j] + 1) (cur.[j - 1] + 1)) (prev.[j - 1] + cost)

            prev <- cur

        prev.[b.Length]

    let nearestName (known: string seq) (name: string) : string option =
        known
        |> Seq.map (fun k -> k, editDistance k name)
        |> Seq.filter (fun (_, d) -> d <= max 2 (name.Length / 3))
        |> Seq.sortBy snd
        |> Seq.tryHead
        |> Option.map fst

    let keyOf (field: PropertyInfo) : string =
        string (Char.ToLowerInvariant field.Name.[0]) + field.Name.Substring 1

    let keysOf (recordType: Type) : string list =
        FSharpType.GetRecordFields recordType |> Array.map keyOf |> List.ofArray

    /// A closed set's table (the union's static Names property) as its cases and names, in the table's order.
    let choiceTable (t: Type) : (obj * string) list option =
        if not (FSharpType.IsUnion t) then
            None
        else
            match t.GetProperty("Names", BindingFlags.Public ||| BindingFlags.Static) with
            | null -> None
            | p ->
                Some
                    [
                        for row in (p.GetValue null :?> IEnumerable) ->
                            let parts = FSharpValue.GetTupleFields row
                            parts.[0], (parts.[1] :?> string)
                    ]

    /// The children of a node in index order when they are an array's ("0", "1", …), else in the provider's order.
    let private children (node: IConfigurationSection) : IConfigurationSection list =
        let all = node.GetChildren() |> List.ofSeq

        if all |> List.forall (fun c -> fst (Int32.TryParse c.Key)) then
            all |> List.sortBy (fun c -> Int32.Parse c.Key)
        else
            all

    /// A node as an error message shows it: numbers and booleans as written, other text quoted, arrays and objects
    /// by their kind.
    let rec private shown (node: IConfigurationSection) : string =
        match children node with
        | [] ->
            match node.Value with
            | null -> "null"
            | v when v.Equals("true", StringComparison.OrdinalIgnoreCase) -> "true"
            | v when v.Equals("false", StringComparison.OrdinalIgnoreCase) -> "false"
            | v when fst (Double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture)) -> v
            | v -> JsonSerializer.Serialize v
        | cs when cs |> List.forall (fun c -> fst (Int32.TryParse c.Key)) ->
            "[" + String.Join(", ", cs |> List.map shown) + "]"
        | _ -> "an object"

    let private isScalar (node: IConfigurationSection) =
        node.Value <> null && Seq.isEmpty (node.GetChildren())

    /// The reader of a scalar field type: its name in messages (one value, an array of them) and its parse. Throws
    /// InvalidOperationException for a type without one (a programming error, whatever the file holds).
    let private scalarReader (t: Type) : string * string * (string -> obj option) =
        let parsedWith (ok: bool, v: 'a) = if ok then Some(box v) else None

        if t = typeof<string> then
            "a string", "an array of strings", (fun v -> Some(box v))
        elif t = typeof<int> then
            "an integer",
            "an array of integers",
            (fun v -> parsedWith (Int32.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture)))
        elif t = typeof<int64> then
            "an integer",
            "an array of integers",
            (fun v -> parsedWith (Int64.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture)))
        elif t = typeof<float> then
            "a number",
            "an array of numbers",
            (fun v ->
                match Double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture) with
                | true, x when Double.IsFinite x -> Some(box x)
                | _ -> None)
        elif t = typeof<bool> then
            "true or false",
            "an array of true or false",
            (fun v ->
                match v.ToLowerInvariant() with
                | "true" -> Some(box true)
                | "false" -> Some(box false)
                | _ -> None)
        else
            invalidOp (sprintf "ConfigBinding: no reader for a field of type %s" t.Name)

    type private Binder(errors: Generic.List<ConfigError>) =
        member _.Fail (key: string) (message: string) =
            errors.Add { Key = key; Message = message }

        /// One scalar value of type t, or None with the problem recorded against `key`.
        member this.Scalar (t: Type) (key: string) (node: IConfigurationSection) : obj option =
            let what, _, parse = scalarReader t
            let parsed = if isScalar node then parse node.Value else None

            if parsed.IsNone then
                this.Fail key (sprintf "must be %s, got %s" what (shown node))

            parsed

        member this.Choice (table: (obj * string) list) (key: string) (node: IConfigurationSection) : obj option =
            let names = table |> List.map snd
            let what = Choice.sentence table

            if not (isScalar node) then
                this.Fail key (sprintf "must be %s, got %s" what (shown node))
                None
            else
                match table |> List.tryFind (fun (_, n) -> n = node.Value) with
                | Some(v, _) -> Some v
                | None ->
                    let hint =
                        match nearestName names node.Value with
                        | Some n -> sprintf " (did you mean '%s'?)" n
                        | None -> ""

                    let got =
                        match shown node with
                        | quoted when quoted.StartsWith "\"" -> sprintf "'%s'" node.Value
                        | raw -> raw

                    this.Fail key (sprintf "must be %s, got %s%s" what got hint)
                    None

        /// An F# list of scalars: the node's array ("0", "1", …; the JSON provider gives an empty array as "").
        member this.List (t: Type) (key: string) (node: IConfigurationSection) : obj option =
            let _, what, parse = scalarReader (t.GetGenericArguments().[0])
            let items = children node

            let isArray =
                (items.IsEmpty && node.Value = "")
                || (not items.IsEmpty && items |> List.forall (fun c -> fst (Int32.TryParse c.Key)))

            let values =
                if isArray then
                    items |> List.map (fun c -> if isScalar c then parse c.Value else None)
                else
                    [ None ]

            if values |> List.exists Option.isNone then
                this.Fail key (sprintf "must be %s, got %s" what (shown node))
                None
            else
                let cons = t.GetMethod("Cons")
                let empty = t.GetProperty("Empty").GetValue null
                Some(List.foldBack (fun (v: obj option) acc -> cons.Invoke(null, [| v.Value; acc |])) values empty)

        /// A record over `current`: each field the nodes name is read (recursively for records), the others keep
        /// their current value; an unknown key is refused with the nearest field's name. Keys in `ignored` are
        /// accepted and not read.
        member this.Members
            (current: obj)
            (key: string)
            (ignored: string list)
            (nodes: IConfigurationSection seq)
            : obj =
            let t = current.GetType()
            let fields = FSharpType.GetRecordFields t
            let names = fields |> Array.map keyOf |> List.ofArray
            let values = FSharpValue.GetRecordFields current

            let sameName (a: string) (b: string) =
                a.Equals(b, StringComparison.OrdinalIgnoreCase)

            let under name =
                if key = "" then name else key + "." + name

            for child in nodes do
                match names |> List.tryFindIndex (sameName child.Key) with
                | Some i ->
                    match this.Field fields.[i].PropertyType values.[i] (under names.[i]) child with
                    | Some v -> values.[i] <- v
                    | None -> ()
                | None when ignored |> List.exists (sameName child.Key) -> ()
                | None ->
                    let known = names @ ignored

                    this.Fail
                        (under child.Key)
                        (match nearestName known child.Key with
                         | Some n -> sprintf "unknown key (did you mean '%s'? known: %s)" n (String.Join(", ", known))
                         | None -> sprintf "unknown key (known: %s)" (String.Join(", ", known)))

            FSharpValue.MakeRecord(t, values)

        member this.Field (t: Type) (current: obj) (key: string) (node: IConfigurationSection) : obj option =
            if FSharpType.IsRecord t then
                if isScalar node then
                    this.Fail key (sprintf "must be an object, got %s" (shown node))
                    None
                else
                    Some(this.Members current key [] (node.GetChildren()))
            elif t.IsGenericType && t.GetGenericTypeDefinition() = typedefof<list<_>> then
                this.List t key node
            else
                match choiceTable t with
                | Some table -> this.Choice table key node
                | None -> this.Scalar t key node

    let bindOver<'T> (current: 'T) (ignored: string list) (configuration: IConfiguration) : 'T * ConfigError list =
        let errors = Generic.List<ConfigError>()

        let bound =
            Binder(errors).Members (box current) "" ignored (configuration.GetChildren())

        (bound :?> 'T), List.ofSeq errors
