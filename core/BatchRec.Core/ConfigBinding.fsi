namespace BatchRec.Core

open System
open System.Reflection
open Microsoft.Extensions.Configuration

/// One problem in a config: the dotted key and what is wrong, quoting the bad value.
type ConfigError =
    {
        /// The dotted key ("train.seed"; "(file)" when the file is not valid JSON).
        Key: string
        /// What is wrong.
        Message: string
    }

    /// "KEY: MESSAGE".
    override ToString: unit -> string

/// Binds F# records from a Microsoft.Extensions.Configuration tree. A record's keys are its field names in camelCase
/// (`MaxEpochs` is `maxEpochs`), matched ignoring case as the configuration does. Fields are records (a section,
/// bound recursively), F# lists of ints, floats or strings (an array), a closed set of Choices.fs (a union with a
/// static `Names` table: one of its names), or int, int64, float, bool and string values. A key the tree does not
/// name keeps its current value; every problem is collected, none thrown.
module ConfigBinding =

    /// The Levenshtein distance between two names, ignoring case. O(|a| · |b|).
    /// evaluates to: ConfigBinding.editDistance "maxEpoch" "MAXEPOCHS" = 1
    val editDistance: a: string -> b: string -> int

    /// The known name nearest to `name` (fewest edits, ignoring case; the earlier of equals) when it is a likely typo:
    /// at most max(2, length / 3) edits away. None otherwise. O(Σ |known| · |name|).
    /// evaluates to: ConfigBinding.nearestName [ "maxEpochs"; "batchSize" ] "maxEpoch" = Some "maxEpochs"
    val nearestName: known: string seq -> name: string -> string option

    /// A record field's key: its name with the first letter in lower case.
    val keyOf: field: PropertyInfo -> string

    /// A record type's keys in field order.
    /// evaluates to: ConfigBinding.keysOf typeof<SplitConfig> = [ "valid"; "test" ]
    val keysOf: recordType: Type -> string list

    /// The cases and names of a closed set (a union type with a static `Names` list of case-name pairs), or None for
    /// any other type.
    val choiceTable: t: Type -> (obj * string) list option

    /// `current` with every key the configuration names read over it, and the problems: an unknown key (with the
    /// nearest known name), a value of the wrong type or outside a closed set (quoting it), a section given a value,
    /// a key given a section. The problems' keys are dotted paths with the fields' own spelling. Top-level keys in
    /// `ignored` (another reader's sections) are accepted and not read. A value that did not read keeps the current
    /// one. Throws InvalidOperationException when a field's type is none of those above (a programming error).
    val bindOver<'T> : current: 'T -> ignored: string list -> configuration: IConfiguration -> 'T * ConfigError list
