using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace PcapForge.Capture.Sources;

/// <summary>
/// Maps the file read-only and hands out slices of the mapping, with resident memory bounded by the window size
/// whatever the file size: a mapped page the reader has touched stays resident until it is unmapped or dropped.
/// <list type="bullet">
/// <item>On 64-bit Linux the whole file is mapped once, and pages more than about a window behind the cursor are
/// dropped with <c>madvise(MADV_DONTNEED)</c>. They stay in the page cache, and a read that goes back maps them
/// again. No view is created or unmapped while reading, so nothing is allocated after the open.</item>
/// <item>Elsewhere the file is mapped in windows, and moving the window unmaps the old view.</item>
/// </list>
/// Either way the lines ahead of the cursor are prefetched (see <see cref="PrefetchDistance"/>).
/// </summary>
internal sealed unsafe partial class MappedFileSource : ByteSource
{
    // Views start on a multiple of this; 64 KiB is the allocation granularity on Windows and a multiple of the page size everywhere.
    private const long Alignment = 64 * 1024;

    /// <summary>
    /// How far ahead of a read every cache line is prefetched. A reader touches only a block's first and last lines,
    /// hundreds of bytes apart and often on the next page, which the hardware prefetcher does not fetch in time: each
    /// frame waited for memory. Prefetching every line a few frames ahead halves the reader's time (bench/README.md:
    /// 4 KiB measured as good as 8 and 16 KiB, 1 KiB and 2 KiB a little worse; every second line only is slower, as
    /// a missed header line stalls). The pages ahead are mapped by the kernel's fault-around, 64 KiB at a time, so
    /// the prefetches are not dropped for want of a page table entry.
    /// </summary>
    internal const int PrefetchDistance = 4096;

    private const int CacheLineSize = 64;

    // madvise(2) advice values (Linux, include/uapi/asm-generic/mman-common.h).
    private const int MadvDontNeed = 4;

    private readonly MemoryMappedFile? _map;
    private readonly long _length;
    private readonly long _windowSize;
    private readonly bool _whole;
    private MemoryMappedViewAccessor? _view;
    private byte* _base;
    private long _viewStart;
    private long _viewLength;

    // Whole-file mapping: pages are dropped a chunk at a time once the cursor is more than a window minus a chunk past them.
    private readonly long _chunk;
    private long _adviseAt = long.MaxValue;
    private long _dropped;

    // File offset up to which lines have been prefetched.
    private long _prefetched;

    /// <param name="file">The open file; owned by the source from here on.</param>
    /// <param name="windowSize">Bound on the mapped bytes kept resident (rounded to 64 KiB).</param>
    /// <param name="wholeFile">Map the whole file and drop pages behind (64-bit Linux only; otherwise windows are used).</param>
    public MappedFileSource(FileStream file, long windowSize, bool wholeFile)
    {
        _length = file.Length;
        _windowSize = Math.Max(Alignment, windowSize / Alignment * Alignment);
        _chunk = Math.Max(Alignment, _windowSize / 4 / Alignment * Alignment);
        _whole = wholeFile && OperatingSystem.IsLinux() && Environment.Is64BitProcess;
        if (_length == 0)
        {
            file.Dispose();
            return;
        }

        _map = MemoryMappedFile.CreateFromFile(file, mapName: null, capacity: 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
        if (_whole)
        {
            Map(0, _length);
            _adviseAt = _chunk;
        }
    }

    public override long? Length => _length;

    public override long Position => _viewStart + _viewLength;

    public override ReadOnlySpan<byte> Read(long offset, int count)
    {
        if (offset >= _length || count <= 0)
            return ReadOnlySpan<byte>.Empty;
        long end = Math.Min(offset + count, _length);
        if (offset < _viewStart || end > _viewStart + _viewLength)
            Map(offset, end);
        if (offset >= _adviseAt)
            DropBehind(offset);
        if (Sse.IsSupported && _prefetched < offset + PrefetchDistance)
            Prefetch(offset);
        return new ReadOnlySpan<byte>(_base + (offset - _viewStart), (int)(end - offset));
    }

    /// <summary>Prefetches the lines not yet prefetched up to <see cref="PrefetchDistance"/> past <paramref name="offset"/>, within the view.</summary>
    private void Prefetch(long offset)
    {
        long to = Math.Min(offset + PrefetchDistance, _viewStart + _viewLength);
        long at = Math.Max(_prefetched, offset);
        for (byte* p = _base + (at - _viewStart), stop = _base + (to - _viewStart); p < stop; p += CacheLineSize)
            Sse.Prefetch0(p);
        _prefetched = Math.Max(at, to);
    }

    /// <summary>Whole-file mapping: drops the chunks that lie more than a window minus a chunk behind <paramref name="offset"/>.</summary>
    private void DropBehind(long offset)
    {
        long dropTo = (offset - (_windowSize - _chunk)) / _chunk * _chunk;
        if (dropTo > _dropped)
        {
            // Failure only leaves the pages resident (memory, not correctness), so the result is not checked.
            _ = Madvise(_base + _dropped, (nuint)(dropTo - _dropped), MadvDontNeed);
            _dropped = dropTo;
        }

        _adviseAt = (offset / _chunk + 1) * _chunk;
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(byte* address, nuint length, int advice);

    private void Map(long offset, long end)
    {
        ReleaseView();
        long start = offset / Alignment * Alignment;
        long length = _whole ? _length : Math.Min(Math.Max(_windowSize, end - start), _length - start);
        if (_whole)
            start = 0;
        _view = _map!.CreateViewAccessor(start, length, MemoryMappedFileAccess.Read);
        byte* p = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _base = p + _view.PointerOffset;
        _viewStart = start;
        _viewLength = length;
    }

    private void ReleaseView()
    {
        if (_view is null)
            return;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _view = null;
        _base = null;
    }

    public override void Dispose()
    {
        ReleaseView();
        _map?.Dispose();
    }
}
