namespace PcapForge.Capture.Sources;

/// <summary>
/// A forward-only view of the capture's bytes. <see cref="Read"/> hands out a span that stays valid until the
/// next call; offsets may go back only inside the span last returned.
/// </summary>
internal abstract class ByteSource : IDisposable
{
    /// <summary>Total length when known (a plain file); null for a decompressing stream until its end is reached.</summary>
    public abstract long? Length { get; }

    /// <summary>
    /// Up to <paramref name="count"/> bytes starting at <paramref name="offset"/>; fewer only at the end of the data.
    /// </summary>
    public abstract ReadOnlySpan<byte> Read(long offset, int count);

    /// <summary>
    /// The caller will not read before <paramref name="offset"/> again, so a buffering source may drop what lies before it.
    /// A source that cannot go back keeps everything from the last discard mark on.
    /// </summary>
    public virtual void Discard(long offset)
    {
    }

    /// <summary>How many bytes of the underlying file have been consumed (compressed bytes for a stream), for progress.</summary>
    public abstract long Position { get; }

    public abstract void Dispose();
}
