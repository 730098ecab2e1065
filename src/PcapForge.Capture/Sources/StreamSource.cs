namespace PcapForge.Capture.Sources;

/// <summary>
/// A buffered forward-only window over a stream (a decompressor). The buffer holds the bytes from the last
/// requested offset on and grows only to fit the largest single request, so memory is bounded by the largest
/// block, not by the file.
/// </summary>
internal sealed class StreamSource : ByteSource
{
    private readonly Stream _stream;
    private readonly Stream? _underlying;
    private byte[] _buffer;
    private long _bufferStart;
    private int _bufferLength;
    private bool _eof;
    private long _discardMark;

    private readonly Action<long, string>? _onError;

    public StreamSource(Stream stream, Stream? underlying, Action<long, string>? onError = null, int initialBuffer = 1 << 20)
    {
        _stream = stream;
        _underlying = underlying;
        _onError = onError;
        _buffer = new byte[initialBuffer];
    }

    public override long? Length => _eof ? _bufferStart + _bufferLength : null;

    public override long Position => _underlying is { CanSeek: true } u ? u.Position : _bufferStart + _bufferLength;

    public override ReadOnlySpan<byte> Read(long offset, int count)
    {
        if (count <= 0)
            return ReadOnlySpan<byte>.Empty;
        if (offset < _bufferStart)
            throw new InvalidOperationException($"stream source is forward-only: offset {offset} is before {_bufferStart}");
        long bufferEnd = _bufferStart + _bufferLength;
        if (offset + count > bufferEnd && !_eof)
            Fill(offset, count);
        long available = _bufferStart + _bufferLength - offset;
        if (available <= 0)
            return ReadOnlySpan<byte>.Empty;
        return new ReadOnlySpan<byte>(_buffer, (int)(offset - _bufferStart), (int)Math.Min(count, available));
    }

    public override void Discard(long offset) => _discardMark = Math.Max(_discardMark, offset);

    private void Fill(long offset, int count)
    {
        // Keep the bytes from the discard mark (or the request, if earlier) on; drop the rest.
        long bufferEnd = _bufferStart + _bufferLength;
        long keepFrom = Math.Min(Math.Min(_discardMark, offset), bufferEnd);
        int drop = (int)(keepFrom - _bufferStart);
        if (drop > 0)
        {
            Buffer.BlockCopy(_buffer, drop, _buffer, 0, _bufferLength - drop);
            _bufferLength -= drop;
            _bufferStart = keepFrom;
        }

        // With the buffer empty, decompress and throw away what lies before both the mark and the request.
        long skipTo = Math.Min(_discardMark, offset);
        while (_bufferLength == 0 && _bufferStart < skipTo && !_eof)
        {
            int n = ReadStream(0, (int)Math.Min(_buffer.Length, skipTo - _bufferStart));
            if (n == 0)
                _eof = true;
            _bufferStart += n;
        }

        long neededLong = offset - _bufferStart + count;
        if (neededLong > int.MaxValue)
            throw new InvalidDataException($"a single read of {count} bytes at offset {offset} is larger than a stream source can buffer");
        int needed = (int)neededLong;
        if (needed > _buffer.Length)
            Array.Resize(ref _buffer, (int)Math.Min(int.MaxValue, Math.Max(needed, (long)_buffer.Length * 2)));
        while (_bufferLength < needed && !_eof)
        {
            int n = ReadStream(_bufferLength, _buffer.Length - _bufferLength);
            if (n == 0)
                _eof = true;
            _bufferLength += n;
        }
    }

    /// <summary>Reads from the decompressor; corrupt compressed data ends the data instead of throwing.</summary>
    private int ReadStream(int at, int count)
    {
        try
        {
            return _stream.Read(_buffer, at, count);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or ZstdSharp.ZstdException)
        {
            _onError?.Invoke(_bufferStart + _bufferLength, e.Message);
            return 0;
        }
    }

    public override void Dispose()
    {
        _stream.Dispose();
        _underlying?.Dispose();
    }
}
