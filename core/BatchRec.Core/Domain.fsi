namespace BatchRec.Core

open System
open System.Collections.Generic

/// Dense, zero-based indices for external ids (user or item ids as they appear in the input).
/// Index order is canonical: ids that all parse as int64 are ordered numerically, otherwise ordinally,
/// so the same set of ids always gets the same indices whatever order the input files were read in.
[<Sealed>]
type IdMap =

    /// Number of distinct ids. O(1).
    member Count: int

    /// The external id of index `i`. O(1). Throws IndexOutOfRangeException outside 0..Count-1.
    member Id: i: int -> string

    /// All ids, position = index. The array is a copy.
    member Ids: string array

    /// The index of an external id, or None. O(1) expected.
    member TryIndex: id: string -> int option

    /// The index of an external id, or -1 (for C# callers).
    member IndexOrMinusOne: id: string -> int

    /// Builds the map from ids already in canonical order and distinct. Internal: use IdMap.ofIds.
    static member internal OfCanonical: ids: string array -> IdMap

/// Interns ids as they stream in (one row group at a time), then freezes into a canonical IdMap.
/// Mutable by design: it is the accumulator the ingest shell feeds; it never escapes a stage.
[<Sealed>]
type IdMapBuilder =

    /// An empty builder.
    new: unit -> IdMapBuilder

    /// Number of distinct ids interned so far. O(1).
    member Count: int

    /// Provisional index of `id` (first-seen order), interning it if new. O(1) expected.
    member Intern: id: string -> int

    /// Canonical map plus `remap`, where remap.[provisional] = canonical index. O(n log n).
    member Freeze: unit -> IdMap * int array

/// Building an IdMap.
[<RequireQualifiedAccess>]
module IdMap =

    /// Distinct ids of `ids` in canonical order. O(n log n).
    /// evaluates to: (IdMap.ofIds ["10"; "9"; "10"]).Ids = [| "9"; "10" |]
    val ofIds: ids: string seq -> IdMap

/// Which evaluation split an interaction belongs to.
type Split =
    | Train = 0uy
    | Valid = 1uy
    | Test = 2uy
    /// eval.mode cold-items: an interaction of a held-out item (never trained on; ranked among held-out items).
    | Cold = 3uy

/// The interaction log in columnar form over dense indices: one array per column, all the same length.
type Interactions =
    {
        Users: int array
        Items: int array
        Timestamps: int64 array
        Weights: float32 array
    }

    /// Number of interactions (the length of every column). O(1).
    member Count: int

/// What training, evaluation and scoring read: the id maps, the interactions and each one's split.
type Snapshot =
    {
        UserIds: IdMap
        ItemIds: IdMap
        Interactions: Interactions
        Splits: Split array
    }

    /// Number of distinct users (UserIds.Count).
    member NumUsers: int

    /// Number of distinct items (ItemIds.Count).
    member NumItems: int
