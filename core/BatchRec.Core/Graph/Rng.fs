namespace BatchRec.Core.Graph

open System
open System.Numerics

[<Sealed>]
type Xoshiro256(seed: int64) =
    inherit Random()
    let mutable s0 = 0UL
    let mutable s1 = 0UL
    let mutable s2 = 0UL
    let mutable s3 = 0UL

    do
        let mutable x = uint64 seed

        let splitMix () =
            x <- x + 0x9E3779B97F4A7C15UL
            let mutable z = x
            z <- (z ^^^ (z >>> 30)) * 0xBF58476D1CE4E5B9UL
            z <- (z ^^^ (z >>> 27)) * 0x94D049BB133111EBUL
            z ^^^ (z >>> 31)

        s0 <- splitMix ()
        s1 <- splitMix ()
        s2 <- splitMix ()
        s3 <- splitMix ()

    member _.NextUInt64() : uint64 =
        let result = (BitOperations.RotateLeft(s1 * 5UL, 7)) * 9UL
        let t = s1 <<< 17
        s2 <- s2 ^^^ s0
        s3 <- s3 ^^^ s1
        s1 <- s1 ^^^ s2
        s0 <- s0 ^^^ s3
        s2 <- s2 ^^^ t
        s3 <- BitOperations.RotateLeft(s3, 45)
        result

    /// Uniform in [0, n) for 0 < n ≤ 2³²: Lemire's multiply-and-reject on 32-bit draws.
    member private this.Below(n: uint32) : uint32 =
        let mutable m = uint64 (uint32 (this.NextUInt64() >>> 32)) * uint64 n

        if uint32 m < n then
            let threshold = (0u - n) % n

            while uint32 m < threshold do
                m <- uint64 (uint32 (this.NextUInt64() >>> 32)) * uint64 n

        uint32 (m >>> 32)

    override this.Next(maxValue: int) =
        if maxValue < 0 then
            raise (ArgumentOutOfRangeException("maxValue", maxValue, "must be >= 0"))

        if maxValue <= 1 then
            0
        else
            int (this.Below(uint32 maxValue))

    override this.Next() = this.Next(Int32.MaxValue)

    override this.Next(minValue: int, maxValue: int) =
        if minValue > maxValue then
            raise (ArgumentOutOfRangeException("minValue", minValue, "must be <= maxValue"))

        let range = int64 maxValue - int64 minValue

        if range <= 1L then
            minValue
        else
            int (int64 minValue + int64 (this.Below(uint32 range)))

    override this.NextInt64(maxValue: int64) =
        if maxValue < 0L then
            raise (ArgumentOutOfRangeException("maxValue", maxValue, "must be >= 0"))

        if maxValue <= 1L then
            0L
        else
            // rejection on the smallest power-of-two mask covering maxValue - 1
            let mask =
                UInt64.MaxValue >>> BitOperations.LeadingZeroCount(uint64 (maxValue - 1L))

            let mutable r = this.NextUInt64() &&& mask

            while r >= uint64 maxValue do
                r <- this.NextUInt64() &&& mask

            int64 r

    override this.NextInt64() = this.NextInt64(Int64.MaxValue)

    override this.NextInt64(minValue: int64, maxValue: int64) =
        if minValue > maxValue then
            raise (ArgumentOutOfRangeException("minValue", minValue, "must be <= maxValue"))

        let range = uint64 (maxValue - minValue)

        if range <= 1UL then
            minValue
        else
            let mask = UInt64.MaxValue >>> BitOperations.LeadingZeroCount(range - 1UL)
            let mutable r = this.NextUInt64() &&& mask

            while r >= range do
                r <- this.NextUInt64() &&& mask

            minValue + int64 r

    override this.NextDouble() =
        float (this.NextUInt64() >>> 11) * (1.0 / 9007199254740992.0)

    override this.NextSingle() =
        float32 (this.NextUInt64() >>> 40) * (1.0f / 16777216.0f)

    override this.Sample() = this.NextDouble()
    override this.NextBytes(buffer: byte[]) = this.NextBytes(Span buffer)

    override this.NextBytes(buffer: Span<byte>) =
        let mutable i = 0

        while i < buffer.Length do
            let mutable r = this.NextUInt64()
            let mutable k = 0

            while k < 8 && i < buffer.Length do
                buffer.[i] <- byte r
                r <- r >>> 8
                i <- i + 1
                k <- k + 1
