namespace PcapForge.Live;

/// <summary>A write-only stream that writes every byte to each of its targets in turn (the capture file and the analysis).</summary>
public sealed class FanOutStream(IReadOnlyList<Stream> targets) : Stream
{
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        foreach (var t in targets)
            t.Write(buffer);
    }

    public override void Flush()
    {
        foreach (var t in targets)
            t.Flush();
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
