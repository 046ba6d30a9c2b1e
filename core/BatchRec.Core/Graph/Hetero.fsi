namespace BatchRec.Core.Graph

open System
open BatchRec.Core

/// What the catalogue and the language model add to the nodes, aligned with the snapshot's canonical indices.
/// Text vectors are row-major float32 [n × TextDim]; a row whose Has flag is false is all zeros (no text).
type NodeFeatures =
    {
        TextDim: int
        ItemText: float32 array
        ItemHasText: bool array
        UserText: float32 array
        UserHasText: bool array

        /// item → attribute incidence, [numItems × NumAttributes], binary (from items.tags).
        ItemAttributes: Csr
        AttributeNames: string array
    }

    /// Number of attributes (AttributeNames.Length).
    member NumAttributes: int

/// Building NodeFeatures.
[<RequireQualifiedAccess>]
module NodeFeatures =

    /// No text, no attributes.
    val none: numUsers: int -> numItems: int -> NodeFeatures

    /// Attributes from each item's tag list: distinct tags (trimmed, case kept) sorted ordinally become attribute
    /// indices. O(T log T) for T tag occurrences.
    val attributesOfTags: tags: string array array -> Csr * string array

/// The user–item–attribute graph the GAT propagates over, with optional item–item edges (gat-text's text
/// neighbours). Node layout: users [0, U), items [U, U+I), attributes [U+I, U+I+A). Edges are undirected (stored
/// both ways), so the pattern is symmetric.
type HeteroGraph =
    {
        NumUsers: int
        NumItems: int
        NumAttributes: int

        /// LightGCN's Â = D^{-1/2} A D^{-1/2} of the binary adjacency (the attention's prior), [N, N].
        Norm: Csr

        /// The edge weight w of each stored entry (same positions as Norm): the transformed interaction weight
        /// (summed over repeats) for user–item edges, 1 for item–attribute and item–item edges.
        EdgeWeight: float32 array

        /// For the entry p = (r, c): the position of (c, r).
        Transpose: int array
    }

    /// Number of nodes: NumUsers + NumItems + NumAttributes.
    member Nodes: int

/// Building the HeteroGraph.
[<RequireQualifiedAccess>]
module HeteroGraph =

    /// The weight transform of model.edgeWeight: one → 1, weight → w, log1p → log(1 + max(w, 0)).
    val transform: kind: EdgeWeight -> w: float32 -> float32

    /// Position of each entry's mirror in a CSR with a symmetric pattern. O(nnz log degree).
    val transposePositions: m: Csr -> int array

    /// The distinct undirected item–item pairs (a, b), a < b, of the given directed pairs (self-pairs dropped), in
    /// order of first appearance. Throws when an item is outside 0..numItems-1.
    val itemPairs: numItems: int -> src: int array -> dst: int array -> (int * int) array

    /// Builds the graph from training interactions (user, item, raw weight), item–attribute edges (when
    /// `itemAttributes` has columns) and item–item edges (`itemSrc`, `itemDst`: e.g. TextKnn's text neighbours;
    /// stored once per unordered pair, both ways, weight 1). O(E log E).
    val buildWithItemEdges:
        numUsers: int ->
        numItems: int ->
        users: int array ->
        items: int array ->
        weights: float32 array ->
        edgeWeight: EdgeWeight ->
        itemAttributes: Csr ->
        itemSrc: int array ->
        itemDst: int array ->
            HeteroGraph

    /// The graph of training interactions and item–attribute edges only (no item–item edges).
    val build:
        numUsers: int ->
        numItems: int ->
        users: int array ->
        items: int array ->
        weights: float32 array ->
        edgeWeight: EdgeWeight ->
        itemAttributes: Csr ->
            HeteroGraph
