namespace BatchRec.Core

/// model.kind auto's rule for choosing among its candidates on validation: the simplest candidate whose per-user
/// scores are within a number of standard errors of the best one's (Trainer's auto and `batchrec compare` apply it).
module CandidateChoice =

    /// model.kind auto's choice: the candidate with the highest validation score, the earlier one of equals.
    /// Throws ArgumentException for no candidates.
    /// evaluates to: CandidateChoice.bestCandidate [ "ease", 0.36; "gat-text", 0.37; "lightgcn", 0.37 ] = "gat-text"
    val bestCandidate: scores: (string * float) list -> string

    /// The mean and standard error (sample standard deviation / √n) of the per-user differences a − b; the standard
    /// error is 0 for fewer than two users, and both are 0 for none. O(n). Throws ArgumentException when the lengths
    /// differ.
    /// evaluates to: CandidateChoice.pairedDifference [| 1.0; 0.0 |] [| 0.0; 0.0 |] = (0.5, 0.5)
    val pairedDifference: a: float array -> b: float array -> float * float

    /// model.kind auto's choice among candidates listed simplest first, each with its per-user validation scores (the
    /// same users in the same order): the earliest candidate whose mean is within `standardErrors` standard errors of
    /// the best mean's (pairedDifference best c ≤ standardErrors · se), so a later, costlier model must beat an
    /// earlier one by more than the validation users' noise (the one-standard-error rule). With 0 it is
    /// bestCandidate: the best mean, the earlier of equals. Throws ArgumentException for no candidates, or when a
    /// candidate's scores are not as many as the best one's.
    /// evaluates to: CandidateChoice.chooseCandidate 2.0 [ "ease", [| 1.0; 0.0; 0.0 |]; "gat", [| 1.0; 0.5; 0.1 |] ] = "ease"
    /// (gat − ease has mean 0.2 and standard error 0.153: within two standard errors, not within one)
    val chooseCandidate: standardErrors: float -> scores: (string * float array) list -> string
