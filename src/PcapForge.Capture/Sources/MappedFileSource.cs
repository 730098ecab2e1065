using System.IO.MemoryMappedFiles;

namespace PcapForge.Capture.Sources;

/// <summary>
/// Maps the file read-only in windows (64 MiB by default) rather than whole: a view touched end to end keeps its
/// pages resident, so mapping the whole file would make resident memory grow with the file. Moving the window
/// unmaps the old view, which bounds resident memory by the window size whatever the file size, while frames are
/// still handed out as slices of the mapping with no copy.
/// </summary>
internal sealed unsafe class MappedFileSource : ByteSource
{
    // Views start on a multiple of this; 64 KiB is the allocation granularity on Windows and a multiple of the page size everywhere.
    private const long Alignment = 64 * 1024;

    private readonly MemoryMappedFile? _map;
    private readonly long _length;
    private readonly long _windowSize;
    private MemoryMappedViewAccessor? _view;
    private byte* _base;
    private long _viewStart;
    private long _viewLength;

    public MappedFileSource(FileStream file, long windowSize)
    {
        _length = file.Length;
        _windowSize = Math.Max(Alignment, windowSize / Alignment * Alignment);
        if (_length > 0)
            _map = MemoryMappedFile.CreateFromFile(file, mapName: null, capacity: 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
        else
            file.Dispose();
    }

    public override long? Length => _length;

    public override long Position => _viewStart + _viewLength;

    public override ReadOnlySpan<byte> Read(long offset, int count)
    {
        if (offset >= _length || count <= 0)
            return ReadOnlySpan<byte>.Empty;
        long end = Math.Min(offset + count, _length);
        if (offset < _viewStart || end > _viewStart + _viewLength)
            Remap(offset, end);
        return new ReadOnlySpan<byte>(_base + (offset - _viewStart), (int)(end - offset));
    }

    private void Remap(long offset, long end)
    {
        ReleaseView();
        long start = offset / Alignment * Alignment;
        long length = Math.Max(_windowSize, end - start);
        length = Math.Min(length, _length - start);
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
