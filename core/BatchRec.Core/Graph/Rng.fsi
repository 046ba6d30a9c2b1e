namespace BatchRec.Core.Graph

open System
open System.Numerics

/// The training's random draws (shuffling, negatives, neighbour sampling): xoshiro256** (Blackman & Vigna,
/// "Scrambled linear pseudorandom number generators", 2021), its 256-bit state filled from the seed by SplitMix64,
/// as a System.Random so the samplers take either. Integers in [0, n) by Lemire's multiply-and-reject (exactly
/// uniform); doubles from the top 53 bits.
///
/// Why not `System.Random(seed)`: a seeded System.Random is .NET's legacy subtractive generator, kept for
/// compatibility (an unseeded one is xoshiro256**). Its outputs obey x_n = x_{n-55} − x_{n-34} (mod 2³¹ − 1), so
/// draws 34 and 55 apart are tied (RngFacts shows it on Next(97)); what replacing it did to the trained models,
/// against an independent PyTorch reference, is in bench/HISTORY.md. The split (Splitting) still draws from
/// System.Random(seed), so every split stays the one the published figures were measured on.
[<Sealed>]
type Xoshiro256 =
    inherit Random

    /// The generator for `seed`: the state is four SplitMix64 outputs from it, so equal seeds give equal streams.
    new: seed: int64 -> Xoshiro256

    /// The next 64 random bits.
    member NextUInt64: unit -> uint64

    /// Uniform in [0, Int32.MaxValue).
    override Next: unit -> int

    /// Uniform in [0, maxValue) (0 when maxValue ≤ 1). Throws ArgumentOutOfRangeException for maxValue < 0.
    override Next: maxValue: int -> int

    /// Uniform in [minValue, maxValue) (minValue when the range is ≤ 1). Throws ArgumentOutOfRangeException for
    /// minValue > maxValue.
    override Next: minValue: int * maxValue: int -> int

    /// Uniform in [0, Int64.MaxValue).
    override NextInt64: unit -> int64

    /// Uniform in [0, maxValue), by rejection on the smallest power-of-two mask (0 when maxValue ≤ 1). Throws
    /// ArgumentOutOfRangeException for maxValue < 0.
    override NextInt64: maxValue: int64 -> int64

    /// Uniform in [minValue, maxValue), by rejection (minValue when the range is ≤ 1). Throws
    /// ArgumentOutOfRangeException for minValue > maxValue.
    override NextInt64: minValue: int64 * maxValue: int64 -> int64

    /// Uniform in [0, 1) from the top 53 bits of one draw.
    override NextDouble: unit -> float

    /// Uniform in [0, 1) from the top 24 bits of one draw.
    override NextSingle: unit -> float32

    /// NextDouble.
    override Sample: unit -> float

    /// Fills `buffer` with random bytes, 8 per 64-bit draw (low byte first).
    override NextBytes: buffer: Span<byte> -> unit

    /// Fills `buffer` with random bytes (as the Span overload).
    override NextBytes: buffer: byte array -> unit
