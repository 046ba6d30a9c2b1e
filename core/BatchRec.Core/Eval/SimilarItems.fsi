namespace BatchRec.Core.Eval

open BatchRec.Core
open BatchRec.Core.Graph
open BatchRec.Core.Train

/// How an item's similar items were found: the similar_items table's similarity_kind. Each kind has its own score
/// scale, so scores are comparable within an item's list, not across kinds.
[<RequireQualifiedAccess>]
type SimilarityKind =
    /// The model's item–item weights (EASE's B, a blend's EASE part): W[i, j], what having item i adds to item j's
    /// score; only positive weights are listed.
    | ItemWeights
    /// Cosine similarity of the model's item embeddings (positive only).
    | EmbeddingCosine
    /// Cosine similarity of the items' sets of users in the train split (the popularity model has no item
    /// representation of its own).
    | CoOccurrence
    /// Cosine similarity of the language-model vectors of the items' text: items with no training interaction (or
    /// none of the model's neighbours), when the model's config encodes text; positive only.
    | Text
    /// Cosine similarity of the items' attribute sets (tags, genres): items without training interaction or text.
    | Attributes
    /// Nothing is known about the item: the most popular items, scored by their interactions over the most popular
    /// item's.
    | Popularity

    /// The name the table stores.
    member Name: string

    override ToString: unit -> string

/// Every item's (up to) k most similar items: row i is Items.[i*K .. i*K+K-1] (item indices, best first, equal scores to the
/// lower index), padded with -1 (score NaN) where fewer exist; Kinds.[i] says how row i was found.
type SimilarItems =
    {
        K: int
        Items: int[]
        Scores: float32[]
        Kinds: SimilarityKind[]
    }

    /// Number of items (rows).
    member NumItems: int

    /// The similar items row `item` holds (the rest is padding).
    member Count: item: int -> int

/// Similar items for every item, warm and cold: an item with training interactions gets the model's own similarity
/// (its item–item weights when it has them, else the cosine of its item embeddings, else co-occurrence); an item
/// without (new in the catalogue, or held out) or with no such neighbour gets the items whose text reads most like
/// its own, else those sharing the most attributes, else the most popular items. Nearest-neighbour searches go
/// through VectorSearch.nearest (exact for small sets, HNSW above search.exactBelow).
[<RequireQualifiedAccess>]
module SimilarItems =
    /// O(I²) for item–item weights, VectorSearch's cost for embeddings and text, O(Σ co-occurrences) for sparse sets.
    /// Candidates for the embedding cosine are the warm items, plus, for the GAT models, the cold ones with text or
    /// attributes (whose embeddings come from them). An item falls back to the next kind only when the one before
    /// found nothing for it, so a list can be shorter than k. Throws ArgumentException for k < 1, a model of another
    /// item count than the graphs, or items × k beyond one array. The sparse and item–item loops run on at most
    /// `threads` workers (0: one per core; score.threads); the vector searches on VectorSearch's.
    val compute:
        search: SearchConfig ->
        threads: int ->
        device: TorchSharp.torch.Device ->
        graphs: SplitGraphs ->
        m: TrainedModel ->
        features: NodeFeatures ->
        k: int ->
            SimilarItems
