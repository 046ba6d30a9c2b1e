// Writes a synthetic interactions file for the ingest memory benchmark (bench/ingest-rss.sh).
// usage: dotnet fsi bench/make-interactions.fsx OUT.parquet ROWS PAYLOAD_CHARS [ROWS_PER_GROUP]
// Columns: user_id int64 (1M users), item_id int64 (100k items), timestamp int64 seconds, weight float, and an extra
// string column 'payload' of PAYLOAD_CHARS random hex characters per row (which the contract ignores), so the file's
// size can grow without the rows growing. Seeded: the same arguments give the same file.
// Needs a Release build of the host (for Parquet.dll): dotnet build host/BatchRec.Host -c Release
#r "../host/BatchRec.Host/bin/Release/net10.0/linux-x64/CommunityToolkit.HighPerformance.dll"
#r "../host/BatchRec.Host/bin/Release/net10.0/linux-x64/Microsoft.IO.RecyclableMemoryStream.dll"
#r "../host/BatchRec.Host/bin/Release/net10.0/linux-x64/Snappier.dll"
#r "../host/BatchRec.Host/bin/Release/net10.0/linux-x64/Parquet.dll"

open System
open Parquet
open Parquet.Schema

let args = fsi.CommandLineArgs |> Array.skip 1
let path, rows, payloadChars = args.[0], int64 args.[1], int args.[2]
let perGroup = if args.Length > 3 then int args.[3] else 1_000_000
let userId = DataField<int64>("user_id")
let itemId = DataField<int64>("item_id")
let timestamp = DataField<int64>("timestamp")
let weight = DataField<float32>("weight")
let payload = DataField<string>("payload", false)

let fields: Field[] =
    if payloadChars > 0 then
        [| userId; itemId; timestamp; weight; payload |]
    else
        [| userId; itemId; timestamp; weight |]

let rnd = Random(2020)
let hex = "0123456789abcdef"

let run () =
    task {
        use stream = IO.File.Create path
        let! writer = ParquetWriter.CreateAsync(ParquetSchema(fields), stream)
        let mutable written = 0L

        while written < rows do
            let n = int (min (int64 perGroup) (rows - written))
            use group = writer.CreateRowGroup()
            do! group.WriteAsync<int64>(userId, ReadOnlyMemory(Array.init n (fun _ -> int64 (rnd.Next 1_000_000))))
            do! group.WriteAsync<int64>(itemId, ReadOnlyMemory(Array.init n (fun _ -> int64 (rnd.Next 100_000))))

            do!
                group.WriteAsync<int64>(
                    timestamp,
                    ReadOnlyMemory(Array.init n (fun k -> 1_600_000_000L + written + int64 k))
                )

            do! group.WriteAsync<float32>(weight, ReadOnlyMemory(Array.init n (fun _ -> float32 (1 + rnd.Next 5))))

            if payloadChars > 0 then
                let buffer = Array.zeroCreate<char> payloadChars

                let values =
                    Array.init n (fun _ ->
                        for c in 0 .. payloadChars - 1 do
                            buffer.[c] <- hex.[rnd.Next 16]

                        ReadOnlyMemory<char>(Array.copy buffer))

                do! group.WriteAsync<ReadOnlyMemory<char>>(payload, ReadOnlyMemory values)

            written <- written + int64 n

        do! writer.DisposeAsync()
        printfn "wrote %d rows in %d row groups to %s" written ((rows + int64 perGroup - 1L) / int64 perGroup) path
    }

run().GetAwaiter().GetResult()
printfn "%s: %.2f GB" path (float (IO.FileInfo(path).Length) / 1e9)
