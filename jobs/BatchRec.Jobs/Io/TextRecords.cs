using System.Text;
using System.Text.Unicode;

namespace BatchRec.Jobs.Io;

/// <summary>
/// Reads a text file line by line from its bytes. Each line is decoded as UTF-8, or as Latin-1 when it is not valid
/// UTF-8 (older MovieLens releases are Latin-1). Accepts LF and CRLF endings and a leading UTF-8 byte-order mark.
/// </summary>
internal sealed class TextLineReader : IDisposable
{
    private readonly Stream _stream;
    private readonly byte[] _buffer = new byte[1 << 16];
    private byte[] _pending = new byte[1 << 10];
    private int _pendingLength,
        _start,
        _end;

    public TextLineReader(string path)
    {
        Path = path;
        _stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
    }

    public string Path { get; }

    /// <summary>1-based number of the line last returned.</summary>
    public long LineNumber { get; private set; }

    /// <summary>The next line without its ending, or null at the end of the file.</summary>
    public string? ReadLine()
    {
        while (true)
        {
            var available = _buffer.AsSpan(_start, _end - _start);
            int newline = available.IndexOf((byte)'\n');
            if (newline >= 0)
            {
                _start += newline + 1;
                if (_pendingLength == 0)
                    return Decode(available[..newline]);
                Append(available[..newline]);
                return TakePending();
            }

            Append(available);
            _start = 0;
            _end = _stream.Read(_buffer, 0, _buffer.Length);
            if (_end == 0)
                return _pendingLength == 0 ? null : TakePending();
        }
    }

    public void Dispose() => _stream.Dispose();

    private void Append(ReadOnlySpan<byte> bytes)
    {
        if (_pendingLength + bytes.Length > _pending.Length)
            Array.Resize(ref _pending, Math.Max(_pending.Length * 2, _pendingLength + bytes.Length));
        bytes.CopyTo(_pending.AsSpan(_pendingLength));
        _pendingLength += bytes.Length;
    }

    private string TakePending()
    {
        var line = Decode(_pending.AsSpan(0, _pendingLength));
        _pendingLength = 0;
        return line;
    }

    private string Decode(ReadOnlySpan<byte> line)
    {
        LineNumber++;
        if (LineNumber == 1 && line.StartsWith("\uFEFF"u8))
            line = line[3..];
        if (line.EndsWith("\r"u8))
            line = line[..^1];
        return Utf8.IsValid(line) ? Encoding.UTF8.GetString(line) : Encoding.Latin1.GetString(line);
    }
}

/// <summary>
/// Splits the lines of a <see cref="TextLineReader"/> into RFC 4180 records: comma-separated fields, optionally
/// double-quoted; a quoted field may hold commas, doubled quotes ("") and line breaks (kept as '\n').
/// </summary>
internal sealed class CsvRecordReader(TextLineReader lines)
{
    private readonly StringBuilder _field = new();

    /// <summary>1-based line on which the record last returned starts.</summary>
    public long LineNumber { get; private set; }

    /// <summary>The next record's fields, or null at the end of the file.</summary>
    /// <exception cref="InputFormatException">A quoted field is not closed, or is followed by something other than a comma.</exception>
    public List<string>? ReadRecord()
    {
        var line = lines.ReadLine();
        if (line is null)
            return null;
        LineNumber = lines.LineNumber;
        var fields = new List<string>();
        int i = 0;
        while (true)
        {
            if (i < line.Length && line[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i == line.Length)
                    {
                        line = lines.ReadLine()
                            ?? throw InputFormatException.AtLine(
                                lines.Path,
                                LineNumber,
                                "quoted field is not closed before the end of the file"
                            );
                        _field.Append('\n');
                        i = 0;
                        continue;
                    }
                    char c = line[i++];
                    if (c != '"')
                        _field.Append(c);
                    else if (i < line.Length && line[i] == '"')
                    {
                        _field.Append('"');
                        i++;
                    }
                    else
                        break;
                }
                if (i < line.Length && line[i] != ',')
                    throw InputFormatException.AtLine(
                        lines.Path,
                        lines.LineNumber,
                        $"unexpected '{line[i]}' after a closing quote (expected ',' or the end of the line)"
                    );
            }
            else
            {
                int comma = line.IndexOf(',', i);
                int end = comma < 0 ? line.Length : comma;
                _field.Append(line, i, end - i);
                i = end;
            }

            fields.Add(_field.ToString());
            _field.Clear();
            if (i >= line.Length)
                return fields;
            i++; // the comma
        }
    }
}
